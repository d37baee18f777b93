// The class tab of a server with accounts. A teacher makes classes (each with an invite
// code), sets the network in the editor as an assignment (what students may not change,
// what their editor hides, what their run must reach) and follows each student on its
// dashboard; a student joins with the code, opens an assignment in the editor and hands
// in a run, marked by the assignment's criteria.
import { useCallback, useEffect, useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import {
  ApiError, api, marksUrl, type Assignment, type ClassInfo, type Me,
} from "../api/client";
import { usePolled } from "../api/usePolled";
import { count } from "../format";

interface Props {
  me: Me;
  spec: unknown; // the editor's network and settings: what a new assignment starts from
  training: unknown;
  runId: string | null; // the run open now: what a student hands in
  active: Assignment | null;
  onOpenAssignment: (assignment: Assignment | null) => void;
  onOpenRun: (runId: string) => void;
  onSignOut: () => void;
}

const METRICS = ["val_accuracy", "test_accuracy", "accuracy", "val_loss", "test_loss", "loss"];
const LOCKS = ["training.dataset", "network.input", "network.layers", "training.epochs"];
const HIDEABLE = ["palette", "dataset", "task", "loss", "optimizer", "regularization", "schedule", "epochs",
  "batch_size", "advanced"] as const;

function message(error: unknown): string {
  return error instanceof ApiError ? error.detail : String(error);
}

export function ClassroomPanel(props: Props) {
  const { t } = useTranslation("classroom");
  const { me } = props;
  const [classes, setClasses] = useState<ClassInfo[]>([]);
  const [assignments, setAssignments] = useState<Assignment[]>([]);
  const [error, setError] = useState<string | null>(null);
  const reload = useCallback(async () => {
    try {
      const [found, set] = await Promise.all([api.classes(), api.assignments()]);
      setClasses(found);
      setAssignments(set);
    } catch (failure) {
      setError(message(failure));
    }
  }, []);
  useEffect(() => void reload(), [reload]);
  const act = async (action: () => Promise<unknown>) => {
    setError(null);
    try {
      await action();
      await reload();
    } catch (failure) {
      setError(message(failure));
    }
  };
  return (
    <div className="classroom" data-testid="classroom">
      <p className="who">
        {t(me.role === "teacher" ? "signedInTeacher" : "signedInStudent", { name: me.name })}{" "}
        <button type="button" className="link" onClick={props.onSignOut}>{t("signOut")}</button>
      </p>
      {error && <p className="error" role="alert">{error}</p>}
      {me.role === "teacher"
        ? <Teacher {...props} classes={classes} assignments={assignments} act={act} />
        : <Student {...props} classes={classes} assignments={assignments} act={act} />}
    </div>
  );
}

interface Shared extends Props {
  classes: ClassInfo[];
  assignments: Assignment[];
  act: (action: () => Promise<unknown>) => Promise<void>;
}

function Teacher({ classes, assignments, act, spec, training, onOpenRun }: Shared) {
  const { t } = useTranslation("classroom");
  const [name, setName] = useState("");
  const [shown, setShown] = useState<string | null>(null);
  const create = (event: FormEvent) => {
    event.preventDefault();
    void act(async () => {
      await api.createClass(name);
      setName("");
    });
  };
  return (
    <>
      <section>
        <h3>{t("classes")}</h3>
        {classes.length === 0 && <p className="muted">{t("noClasses")}</p>}
        <ul className="class-list">
          {classes.map((c) => (
            <li key={c.id}>
              <strong>{c.name}</strong> · {t("students", { count: c.students })} · {t("invite")}{" "}
              <code data-testid="invite-code">{c.invite_code}</code>
            </li>
          ))}
        </ul>
        <form className="inline" onSubmit={create}>
          <label htmlFor="class-name">{t("newClass")}</label>
          <input id="class-name" value={name} required maxLength={128} onChange={(e) => setName(e.target.value)} />
          <button type="submit">{t("create")}</button>
        </form>
      </section>
      {classes.length > 0 && <NewAssignment classes={classes} spec={spec} training={training} act={act} />}
      <section>
        <h3>{t("assignments")}</h3>
        {assignments.length === 0 && <p className="muted">{t("noAssignments")}</p>}
        <ul className="assignment-list">
          {assignments.map((a) => (
            <li key={a.id}>
              <button type="button" className={shown === a.id ? "link active" : "link"}
                onClick={() => setShown(shown === a.id ? null : a.id)}>{a.title}</button>
              {" "}<span className="muted">{classes.find((c) => c.id === a.class_id)?.name}</span>
            </li>
          ))}
        </ul>
        {shown && <AssignmentDashboard id={shown} onOpenRun={onOpenRun} />}
      </section>
    </>
  );
}

function NewAssignment({ classes, spec, training, act }: Pick<Shared, "classes" | "spec" | "training" | "act">) {
  const { t } = useTranslation("classroom");
  const [classId, setClassId] = useState(classes[0].id);
  const [title, setTitle] = useState("");
  const [metric, setMetric] = useState(METRICS[0]);
  const [op, setOp] = useState<"above" | "below">("above");
  const [value, setValue] = useState("0.9");
  const [maxParams, setMaxParams] = useState("");
  const [locked, setLocked] = useState<string[]>(["training.dataset"]);
  const [hidden, setHidden] = useState<string[]>([]);
  const toggle = (list: string[], item: string) => list.includes(item) ? list.filter((x) => x !== item) : [...list, item];
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void act(async () => {
      await api.createAssignment(classId, {
        title, network: spec as Assignment["network"], training: training as Assignment["training"], locked,
        hidden: hidden as Assignment["hidden"], criteria: [{ metric, op, value: Number(value) }],
        max_params: maxParams ? Number(maxParams) : null,
      });
      setTitle("");
    });
  };
  return (
    <form className="new-assignment" onSubmit={submit} aria-label={t("newAssignment")}>
      <h3>{t("newAssignment")}</h3>
      <p className="muted">{t("fromEditor")}</p>
      <div className="field">
        <label htmlFor="assignment-class">{t("forClass")}</label>
        <select id="assignment-class" value={classId} onChange={(e) => setClassId(e.target.value)}>
          {classes.map((c) => <option key={c.id} value={c.id}>{c.name}</option>)}
        </select>
      </div>
      <div className="field">
        <label htmlFor="assignment-title">{t("title")}</label>
        <input id="assignment-title" value={title} required maxLength={128} onChange={(e) => setTitle(e.target.value)} />
      </div>
      <fieldset>
        <legend>{t("criterion")}</legend>
        <select aria-label={t("metric")} value={metric} onChange={(e) => setMetric(e.target.value)}>
          {METRICS.map((m) => <option key={m} value={m}>{m}</option>)}
        </select>
        <select aria-label={t("op")} value={op} onChange={(e) => setOp(e.target.value as "above" | "below")}>
          <option value="above">{t("above")}</option>
          <option value="below">{t("below")}</option>
        </select>
        <input aria-label={t("value")} type="number" step="any" value={value} required
          onChange={(e) => setValue(e.target.value)} />
      </fieldset>
      <div className="field">
        <label htmlFor="assignment-params">{t("maxParams")}</label>
        <input id="assignment-params" type="number" min={1} value={maxParams} onChange={(e) => setMaxParams(e.target.value)} />
      </div>
      <fieldset>
        <legend>{t("locked")}</legend>
        {LOCKS.map((path) => (
          <label key={path} className="check">
            <input type="checkbox" checked={locked.includes(path)} onChange={() => setLocked(toggle(locked, path))} />
            {t(`lock.${path.replace(".", "_")}` as "lock.training_dataset")}
          </label>
        ))}
      </fieldset>
      <fieldset>
        <legend>{t("hidden")}</legend>
        {HIDEABLE.map((control) => (
          <label key={control} className="check">
            <input type="checkbox" checked={hidden.includes(control)} onChange={() => setHidden(toggle(hidden, control))} />
            {t(`control.${control}`)}
          </label>
        ))}
      </fieldset>
      <button type="submit" className="primary">{t("setAssignment")}</button>
    </form>
  );
}

function AssignmentDashboard({ id, onOpenRun }: { id: string; onOpenRun: (runId: string) => void }) {
  const { t, i18n } = useTranslation("classroom");
  const board = usePolled(() => api.classDashboard(id), 3000, id); // students train meanwhile
  if (!board) return <p className="muted">{t("loading")}</p>;
  return (
    <div className="class-dashboard">
      <table data-testid="class-dashboard">
        <thead>
          <tr>
            <th>{t("col.student")}</th><th>{t("col.status")}</th><th>{t("col.best")}</th><th>{t("col.runs")}</th>
            <th>{t("col.last")}</th><th>{t("col.flags")}</th><th />
          </tr>
        </thead>
        <tbody>
          {board.rows.map((row) => (
            <tr key={row.student_id} data-student={row.student}>
              <td>{row.student}</td>
              <td data-testid="student-status">
                {row.passed === false ? t("notPassed", { status: t(`status.${row.status}`) }) : t(`status.${row.status}`)}
              </td>
              <td>{row.best_score === null || row.best_score === undefined ? "–" : row.best_score.toLocaleString(i18n.language, { maximumFractionDigits: 4 })}</td>
              <td>{count(row.runs)}</td>
              <td>{row.last_activity ? new Date(row.last_activity).toLocaleString(i18n.language) : "–"}</td>
              <td className={row.flags?.length ? "error" : ""}>{(row.flags ?? []).map((flag) => t(`flag.${flag}`)).join(", ")}</td>
              <td>
                {(row.best_run ?? row.flagged_runs?.[0]) && (
                  <button type="button" className="link" onClick={() => onOpenRun((row.best_run ?? row.flagged_runs?.[0])!)}>
                    {t("openRun")}</button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <a href={marksUrl(id)} download data-testid="marks-csv">{t("exportMarks")}</a>
    </div>
  );
}

function Student({ classes, assignments, act, active, onOpenAssignment, runId }: Shared) {
  const { t } = useTranslation("classroom");
  const [code, setCode] = useState("");
  const join = (event: FormEvent) => {
    event.preventDefault();
    void act(async () => {
      await api.joinClass(code);
      setCode("");
    });
  };
  return (
    <>
      <section>
        <h3>{t("classes")}</h3>
        <ul className="class-list">
          {classes.map((c) => <li key={c.id}><strong>{c.name}</strong> · {c.teacher}</li>)}
        </ul>
        <form className="inline" onSubmit={join}>
          <label htmlFor="invite-code">{t("join")}</label>
          <input id="invite-code" value={code} required minLength={4} maxLength={32} onChange={(e) => setCode(e.target.value)} />
          <button type="submit">{t("joinButton")}</button>
        </form>
      </section>
      <section>
        <h3>{t("assignments")}</h3>
        {assignments.length === 0 && <p className="muted">{t("noAssignments")}</p>}
        {assignments.map((a) => (
          <article key={a.id} className={active?.id === a.id ? "assignment active" : "assignment"}>
            <h4>{a.title}</h4>
            {a.description && <p>{a.description}</p>}
            <ul className="criteria">
              {(a.criteria ?? []).map((c, i) => <li key={i}>{t("criterionText", { metric: c.metric, op: t(c.op), value: c.value })}</li>)}
              {a.max_params && <li>{t("paramsText", { count: a.max_params })}</li>}
            </ul>
            {active?.id === a.id
              ? <Submissions assignment={a} runId={runId} act={act} />
              : <button type="button" onClick={() => onOpenAssignment(a)}>{t("open")}</button>}
          </article>
        ))}
      </section>
    </>
  );
}

/** A submission's i-th result in words of the UI's language: the assignment's criteria in
 * order, then its parameter bound (the server's own words for anything else). */
function useClaimText() {
  const { t } = useTranslation("classroom");
  return (assignment: Assignment, i: number): string | null => {
    const criteria = assignment.criteria ?? [];
    if (i < criteria.length) {
      const c = criteria[i];
      return t("criterionText", { metric: c.metric, op: t(c.op), value: c.value });
    }
    return i === criteria.length && assignment.max_params ? t("paramsText", { count: assignment.max_params }) : null;
  };
}

function Submissions({ assignment, runId, act }: { assignment: Assignment; runId: string | null } & Pick<Shared, "act">) {
  const { t, i18n } = useTranslation("classroom");
  const claimText = useClaimText();
  const [handed, setHanded] = useState(0); // asks again at once after a hand-in
  // a mark comes once its run has ended
  const mine = usePolled(() => api.submissions(assignment.id), 2000, `${assignment.id}:${handed}`) ?? [];
  return (
    <div className="submissions">
      <button type="button" className="primary" disabled={!runId}
        title={runId ? undefined : t("trainFirst")}
        onClick={() => runId && void act(async () => {
          await api.submit(assignment.id, runId);
          setHanded(handed + 1);
        })}>
        {t("handIn")}</button>
      <ul data-testid="submissions">
        {mine.map((s) => (
          <li key={s.id} data-passed={String(s.passed)}>
            {new Date(s.submitted_at).toLocaleTimeString(i18n.language)} ·{" "}
            {s.passed === null || s.passed === undefined ? t("marking") : s.passed ? t("passed") : t("failed")}
            {(s.criteria ?? []).map((c, i) => ` · ${claimText(assignment, i) ?? c.claim}: ${c.measured === null
              || c.measured === undefined ? "–" : c.measured.toLocaleString(i18n.language, { maximumFractionDigits: 4 })}`).join("")}
          </li>
        ))}
      </ul>
    </div>
  );
}
