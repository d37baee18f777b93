// The runs table: one row per run with what tells runs apart (network, dataset, epochs,
// its score at its best epoch, its test metric, duration, device, tags), a page at a time
// of every run the server finds: searched by words, filtered by status, dataset and task,
// sorted by a click on any column's head. Each run is renamed, tagged and described in
// place.
import { useEffect, useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { ApiError, api, type RunSummary, type RunsQuery } from "../api/client";
import { useMeta } from "../api/meta";
import { grouped } from "../format";
import { useTaskKinds } from "../taskKinds";
import { deviceLabel, statusLabel } from "./labels";
import { COLUMNS, durationText, metricTitle, nextOrder, sortQuery, type ColumnKey, type Order } from "./runColumns";
import { PAGE_SIZE, useRunList, useSettled } from "./useRunList";

interface Props {
  datasets: string[];
  current: string | null;
  ticked: string[];
  onToggle: (id: string) => void;
  onOpen: (id: string) => void;
}

type Filters = Pick<RunsQuery, "status" | "dataset" | "task">;

export function RunsTable({ datasets, current, ticked, onToggle, onOpen }: Props) {
  const { t } = useTranslation("train");
  const { statuses } = useMeta();
  const tasks = useTaskKinds();
  const [search, setSearch] = useState("");
  const [order, setOrder] = useState<Order | null>(null);
  const [filters, setFilters] = useState<Filters>({});
  const q = useSettled(search.trim());
  const question = JSON.stringify([q, order, filters]);
  const [page, setPage] = useState({ question, offset: 0 });
  const offset = page.question === question ? page.offset : 0; // a new question starts at its first page
  const setOffset = (at: number) => setPage({ question, offset: at });
  const [list, edited] = useRunList({ q, ...sortQuery(order), ...filters, limit: PAGE_SIZE, offset });
  useEffect(() => { // runs deleted meanwhile: the last page there is, not an empty one
    if (list.loaded && list.total > 0 && offset >= list.total) setOffset(Math.floor((list.total - 1) / PAGE_SIZE) * PAGE_SIZE);
  }, [list.loaded, list.total]); // eslint-disable-line react-hooks/exhaustive-deps
  const [editing, setEditing] = useState<string | null>(null);
  const sortState = (key: ColumnKey) => (order?.key !== key ? "none" : order.descending ? "descending" : "ascending");
  const filter = (name: keyof Filters, value: string) =>
    setFilters((f) => ({ ...f, [name]: name === "status" ? (value ? [value] : undefined) : value || undefined }));
  const asking = q !== "" || Object.values(filters).some((v) => v !== undefined);
  return (
    <div className="runs-table-box">
      <div className="runs-tools">
        <input type="search" className="runs-search" value={search} onChange={(e) => setSearch(e.target.value)}
          placeholder={t("runs.search")} aria-label={t("runs.search")} data-testid="runs-search" />
        <select value={filters.status?.[0] ?? ""} onChange={(e) => filter("status", e.target.value)}
          aria-label={t("runs.filter.status")} data-testid="runs-status">
          <option value="">{t("runs.filter.anyStatus")}</option>
          {statuses.map((s) => <option key={s} value={s}>{statusLabel(s)}</option>)}
        </select>
        <select value={filters.dataset ?? ""} onChange={(e) => filter("dataset", e.target.value)}
          aria-label={t("runs.filter.dataset")} data-testid="runs-dataset">
          <option value="">{t("runs.filter.anyDataset")}</option>
          {datasets.map((d) => <option key={d} value={d}>{d}</option>)}
        </select>
        <select value={filters.task ?? ""} onChange={(e) => filter("task", e.target.value)}
          aria-label={t("runs.filter.task")} data-testid="runs-task">
          <option value="">{t("runs.filter.anyTask")}</option>
          {tasks.map((k) => <option key={k.name} value={k.name}>{t(`options.training.task.${k.name}`)}</option>)}
        </select>
        <Pager offset={offset} shown={list.runs.length} total={list.total} onOffset={setOffset} />
      </div>
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
          {list.runs.map((r) => editing === r.id ? (
            <tr key={r.id}><td colSpan={COLUMNS.length + 2}>
              <LabelsForm run={r} onDone={(saved) => { setEditing(null); if (saved) edited(saved); }} />
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
                    : c.key === "duration" ? <>{durationText(r)}{r.device && <small className="muted"> {deviceLabel(r.device)}</small>}</>
                    : c.text(r)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      {list.loaded && list.total === 0 && asking && <p className="muted">{t("runs.noMatch")}</p>}
    </div>
  );
}

/** Which runs of how many are shown, and the pages before and after. */
function Pager({ offset, shown, total, onOffset }: { offset: number; shown: number; total: number; onOffset: (offset: number) => void }) {
  const { t } = useTranslation("train");
  if (total === 0) return null;
  return (
    <span className="runs-pager" data-testid="runs-pager">
      <button type="button" className="link" disabled={offset === 0} onClick={() => onOffset(Math.max(0, offset - PAGE_SIZE))}
        aria-label={t("runs.previous")}>‹</button>
      {" "}{t("runs.page", { from: grouped(offset + 1), to: grouped(offset + shown), total: grouped(total) })}{" "}
      <button type="button" className="link" disabled={offset + shown >= total} onClick={() => onOffset(offset + PAGE_SIZE)}
        aria-label={t("runs.next")}>›</button>
    </span>
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
