// One lesson: what it teaches, and each experiment with its change shown as a diff of the
// network and settings, what to watch and what should happen. An experiment is applied to
// the editor with one click, or trained as it is; its run counts toward the progress.
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, type Experiment, type ExperimentResult, type Lesson } from "../api/client";
import { ActivationChart } from "../editor/ActivationChart";
import { currentLang } from "../i18n";
import { statusLabel } from "../train/labels";
import { changes } from "./changes";
import { Claims } from "./Claims";
import { WorkedAttention } from "./WorkedAttention";
import type { LessonActions } from "./LessonsPanel";
import type { Attempt } from "./progress";

interface Props {
  id: string;
  actions: LessonActions;
  current: { runId: string | null; status: string };
  attempts: Record<string, Attempt>;
  onAttempt: (experiment: string, attempt: Attempt) => void;
  onBack: () => void;
}

/** Whether a run that ended as `status` has done the experiment: it completed, or it
 *  diverged where a claim of the experiment is that it diverges (too large a learning rate). */
function ends(experiment: Experiment | undefined, status: string): boolean {
  return status === "completed" || (status === "diverged"
    && (experiment?.checks ?? []).some((check) => "metric" in check && check.metric === "diverged"));
}


export function LessonView({ id, actions, current, attempts, onAttempt, onBack }: Props) {
  const { t, i18n } = useTranslation("lessons");
  const [lesson, setLesson] = useState<Lesson | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [results, setResults] = useState<Record<string, ExperimentResult>>({});
  useEffect(() => {
    api.lesson(id, currentLang()).then(setLesson, (error: unknown) => setFailure(String(error)));
  }, [id, i18n.language]);

  // an attempt is done once its run ends (see ends): the run the dashboard follows tells at
  // once; the others (trained while this lesson was closed) are asked for when it opens
  const experimentOf = (experiment: string) => lesson?.experiments.find((e) => e.id === experiment);
  const finish = (experiment: string, attempt: Attempt, status: string) => {
    if (ends(experimentOf(experiment), status)) {
      onAttempt(experiment, { ...attempt, completed: true, diverged: status === "diverged" });
    }
  };
  useEffect(() => {
    for (const [experiment, attempt] of Object.entries(attempts)) {
      if (attempt.runId === current.runId && !attempt.completed) finish(experiment, attempt, current.status);
    }
  }, [current.runId, current.status, lesson]); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => {
    if (!lesson) return;
    for (const [experiment, attempt] of Object.entries(attempts)) {
      if (attempt.completed || attempt.runId === current.runId) continue;
      api.run(attempt.runId).then((run) => finish(experiment, attempt, run.status ?? ""),
        () => undefined); // a deleted run stays not done
    }
  }, [id, lesson]); // eslint-disable-line react-hooks/exhaustive-deps

  // the claims, measured on the runs: asked for again when an attempt starts or ends, and
  // when the run the dashboard follows (one of them) changes status. The stream can tell
  // a run completed a moment before the server has stored it: while the answer still has
  // a completed attempt's run unfinished, ask again shortly (a few times).
  const runs = Object.fromEntries(Object.entries(attempts).map(([experiment, attempt]) => [experiment, attempt.runId]));
  const following = Object.values(runs).includes(current.runId ?? "") ? current.status : "";
  const [retries, setRetries] = useState(0);
  useEffect(() => setRetries(0), [id, JSON.stringify(attempts), following]); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => {
    let timer = 0;
    api.lessonResults(id, runs).then((answer) => {
      setResults(Object.fromEntries(answer.map((result) => [result.experiment, result])));
      const finished = (runId: string | null | undefined, experiment: string) => attempts[experiment]?.completed
        || (runId === current.runId && ends(experimentOf(experiment), following));
      const behind = answer.some((result) => result.run_id && finished(result.run_id, result.experiment)
        && !ends(experimentOf(result.experiment), result.status ?? ""));
      if (behind && retries < 20) timer = window.setTimeout(() => setRetries((n) => n + 1), 500);
    }, () => undefined); // the lesson itself reports a failure to load
    return () => window.clearTimeout(timer);
  }, [id, JSON.stringify(attempts), following, retries]); // eslint-disable-line react-hooks/exhaustive-deps

  if (failure) return <p className="error" role="alert">{t("failed", { error: failure })}</p>;
  if (!lesson) return <p className="muted">{t("loading")}</p>;
  const base = { network: lesson.network, training: lesson.training };

  /** The run an experiment starts from, when it needs one: the named experiment's, if trained. */
  const weightsFor = (experiment: Experiment) => {
    const from = experiment.init_from;
    return from ? (attempts[from]?.completed ? attempts[from].runId : undefined) : null;
  };
  const act = async (experiment: Experiment, train: boolean) => {
    const weights = weightsFor(experiment);
    if (weights === undefined) return;
    setBusy(experiment.id);
    try {
      if (!train) await actions.apply(experiment, weights);
      else {
        const runId = await actions.train(experiment, weights);
        if (runId) onAttempt(experiment.id, { runId, completed: false });
      }
    } finally {
      setBusy(null);
    }
  };

  return (
    <article className="lesson" data-testid="lesson">
      <button type="button" className="link" onClick={onBack}>{t("back")}</button>
      <h2><span className="chapter">{lesson.chapter}</span> {lesson.title}</h2>
      <p>{lesson.teaches}</p>
      {lesson.activations.length > 0 && (
        <section className="lesson-activations" data-testid="lesson-activation-charts">
          <h3>{t("activations.heading")}</h3>
          <p className="activation-caption muted">{t("activations.howDrawn")}</p>
          {lesson.activations.map((name) => <ActivationChart key={name} name={name} howDrawn={false} />)}
        </section>
      )}
      <button type="button" onClick={() => void actions.load(lesson)}>{t("loadLesson")}</button>
      <ol className="experiments">
        {lesson.experiments.map((experiment) => {
          const attempt = attempts[experiment.id];
          const diff = changes(base, experiment);
          const from = experiment.init_from;
          const blocked = weightsFor(experiment) === undefined;
          return (
            <li key={experiment.id} className="experiment" data-testid={`experiment-${experiment.id}`}>
              <h3>
                {experiment.title}
                {attempt?.completed && <span className="done" title={t("doneTitle")}> ✓</span>}
              </h3>
              <p><strong>{t("change")}</strong> {experiment.change}</p>
              {diff.length ? (
                <table className="lesson-diff" aria-label={t("diff")}>
                  <tbody>
                    {diff.map((row) => (
                      <tr key={row.path}>
                        <th scope="row">{row.path}</th>
                        <td className="before">{row.before ?? "–"}</td>
                        <td className="after">{row.after ?? "–"}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              ) : <p className="muted">{t("noDiff")}</p>}
              <p>
                <strong>{t("watchLabel")}</strong> {t(`watch.${experiment.watch}` as "watch.loss")}{" "}
                <button type="button" className="link" onClick={() => actions.watch(experiment.watch)}>{t("open")}</button>
              </p>
              {experiment.worked.map((worked) => <WorkedAttention key={worked.layer} worked={worked} />)}
              <p><strong>{t("expect")}</strong> {experiment.expect}</p>
              {from && blocked && <p className="muted">{t("needsRun", { experiment: lesson.experiments.find((e) => e.id === from)?.title ?? from })}</p>}
              <div className="experiment-actions">
                <button type="button" onClick={() => void act(experiment, false)} disabled={blocked || busy !== null}>
                  {t("apply")}
                </button>
                <button type="button" className="primary" onClick={() => void act(experiment, true)}
                  disabled={blocked || busy !== null}>{t("train")}</button>
              </div>
              {attempt && (
                <p className="muted" data-testid="attempt">
                  {t("attempt", { run: attempt.runId.slice(0, 8) })}{" "}
                  {attempt.completed ? (attempt.diverged ? statusLabel("diverged") : t("completed"))
                    : attempt.runId === current.runId ? statusLabel(current.status) : ""}
                </p>
              )}
              {results[experiment.id] && (attempt || !experiment.checks.some((c) => "metric" in c)) && (
                <Claims result={results[experiment.id]} />
              )}
            </li>
          );
        })}
      </ol>
    </article>
  );
}
