// The runs table: one row per run with what tells runs apart (network, dataset, epochs,
// its score at its best epoch, its test metric, duration, device, tags), sorted by a click
// on any column's head and searched by any column's text; each run renamed, tagged and
// described in place.
import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { ApiError, api, type RunSummary } from "../api/client";
import { deviceLabel } from "./labels";
import { COLUMNS, durationText, metricTitle, nextOrder, shownRuns, type ColumnKey, type Order } from "./runColumns";

interface Props {
  runs: RunSummary[];
  current: string | null;
  ticked: string[];
  onToggle: (id: string) => void;
  onOpen: (id: string) => void;
  onEdited: (run: RunSummary) => void;
}

export function RunsTable({ runs, current, ticked, onToggle, onOpen, onEdited }: Props) {
  const { t } = useTranslation("train");
  const [search, setSearch] = useState("");
  const [order, setOrder] = useState<Order | null>(null);
  const [editing, setEditing] = useState<string | null>(null);
  const shown = shownRuns(runs, search, order);
  const sortState = (key: ColumnKey) => (order?.key !== key ? "none" : order.descending ? "descending" : "ascending");
  return (
    <div className="runs-table-box">
      <input type="search" className="runs-search" value={search} onChange={(e) => setSearch(e.target.value)}
        placeholder={t("runs.search")} aria-label={t("runs.search")} data-testid="runs-search" />
      <table className="runs-table">
        <thead><tr><th /><th />
          {COLUMNS.map((c) => (
            <th key={c.key} aria-sort={sortState(c.key)} data-column={c.key}>
              <button type="button" className="link sort" onClick={() => setOrder(nextOrder(order, c.key))}>
                {t(`runs.columns.${c.key}`)}{order?.key === c.key ? (order.descending ? " ▼" : " ▲") : ""}</button>
            </th>
          ))}
        </tr></thead>
        <tbody>
          {shown.map((r) => editing === r.id ? (
            <tr key={r.id}><td colSpan={COLUMNS.length + 2}>
              <LabelsForm run={r} onDone={(edited) => { setEditing(null); if (edited) onEdited(edited); }} />
            </td></tr>
          ) : (
            <tr key={r.id} className={r.id === current ? "current" : ""} data-run={r.id}>
              <td><input type="checkbox" checked={ticked.includes(r.id)} onChange={() => onToggle(r.id)}
                aria-label={t("runs.compare", { name: r.name })} /></td>
              <td className="runs-actions">
                <button type="button" onClick={() => onOpen(r.id)}>{t("runs.open")}</button>
                <button type="button" onClick={() => setEditing(r.id)} aria-label={t("runs.edit", { name: r.name })}>✎</button>
              </td>
              {COLUMNS.map((c) => (
                <td key={c.key} data-column={c.key} title={c.key === "name" ? r.description || r.id : metricTitle(r, c.key)}>
                  {c.key === "status" ? <span className={`status-chip status-${r.status}`}>{c.text(r)}</span>
                    : c.key === "tags" ? r.tags.map((tag) => (
                      <button key={tag} type="button" className="tag" onClick={() => setSearch(tag)}
                        title={t("runs.filterTag", { tag })}>{tag}</button>))
                    : c.key === "name" ? r.name
                    : c.key === "duration" ? <>{durationText(r)}{r.device && <small className="muted"> {deviceLabel(r.device)}</small>}</>
                    : c.text(r)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      {runs.length > 0 && shown.length === 0 && <p className="muted">{t("runs.noMatch")}</p>}
    </div>
  );
}

/** A run's name, tags (comma-separated) and description, saved together. */
function LabelsForm({ run, onDone }: { run: RunSummary; onDone: (edited: RunSummary | null) => void }) {
  const { t } = useTranslation("train");
  const [name, setName] = useState(run.name);
  const [tags, setTags] = useState(run.tags.join(", "));
  const [description, setDescription] = useState(run.description);
  const [error, setError] = useState<string | null>(null);
  const save = async (e: FormEvent) => {
    e.preventDefault();
    const labels = { name: name.trim(), tags: tags.split(",").map((tag) => tag.trim()).filter(Boolean), description };
    try {
      const saved = await api.editRun(run.id, labels);
      onDone({ ...run, name: saved.name, tags: saved.tags ?? [], description: saved.description ?? "" });
    } catch (err) {
      setError(err instanceof ApiError ? [err.detail, ...err.issues.map((i) => i.message)].join(" — ") : String(err));
    }
  };
  return (
    <form className="run-labels" onSubmit={save} data-testid="run-labels"
      onKeyDown={(e) => { if (e.key === "Escape") onDone(null); }}>
      <label>{t("runs.name")} <input value={name} onChange={(e) => setName(e.target.value)} maxLength={120} required autoFocus /></label>
      <label>{t("runs.tags")} <input value={tags} onChange={(e) => setTags(e.target.value)} placeholder={t("runs.tagsHint")} /></label>
      <label>{t("runs.description")} <textarea value={description} onChange={(e) => setDescription(e.target.value)} maxLength={4000} rows={2} /></label>
      <button type="submit">{t("runs.save")}</button>
      <button type="button" onClick={() => onDone(null)}>{t("runs.cancel")}</button>
      {error && <p className="error" role="alert">{error}</p>}
    </form>
  );
}
