// The runs table's columns: what each shows of a run, how it sorts, and what a search
// matches (every column's text, so a search finds a run by any of them).
import type { RunSummary, Score } from "../api/client";
import i18n from "../i18n";
import { duration, metric } from "../format";
import { metricLabel, shortMetricLabel, statusLabel } from "./labels";

export type ColumnKey = "name" | "status" | "network" | "dataset" | "epochs" | "score" | "test" | "duration" | "tags";

interface Column {
  key: ColumnKey;
  /** The cell's text (what a search matches). */
  text: (run: RunSummary) => string;
  /** The value it sorts by: numbers by size, text alphabetically, missing last. */
  sort: (run: RunSummary) => number | string | null;
}

/** The test metric a run is read by: accuracy where it has one, else its loss. */
export function testMetric(run: RunSummary): [string, number] | null {
  for (const name of ["test_accuracy", "test_loss"]) {
    const value = run.test_metrics[name];
    if (value !== null && value !== undefined && Number.isFinite(value)) return [name, value];
  }
  return null;
}

/** A run's score as the table writes it: "0.9650 val acc @ 3" (its title: the metric's
 * full name). */
export function scoreText(run: RunSummary): string {
  return run.score ? scoreLabel(run.score, shortMetricLabel) : "–";
}

/** A score as the UI writes it, its metric named by `name`: "0.9650 val acc @ 3" (a test
 * metric has no epoch). */
export function scoreLabel(score: Score, name: (metric: string) => string = metricLabel): string {
  const value = `${metric(score.value)} ${name(score.metric)}`;
  return score.epoch === null || score.epoch === undefined ? value : i18n.t("train:runs.atEpoch", { value, epoch: score.epoch });
}

/** A cell's title: the metric's full name, where the cell shows a metric. */
export function metricTitle(run: RunSummary, key: ColumnKey): string | undefined {
  if (key === "score" && run.score) return metricLabel(run.score.metric);
  const test = key === "test" ? testMetric(run) : null;
  return test ? metricLabel(test[0]) : undefined;
}

export function durationText(run: RunSummary): string {
  return run.duration_s === null || run.duration_s === undefined ? "–" : duration(run.duration_s);
}

export const COLUMNS: Column[] = [
  { key: "name", text: (r) => `${r.name} ${r.description}`, sort: (r) => r.name.toLowerCase() },
  { key: "status", text: (r) => statusLabel(r.status), sort: (r) => statusLabel(r.status) },
  { key: "network", text: (r) => r.network, sort: (r) => r.network.toLowerCase() },
  { key: "dataset", text: (r) => r.dataset, sort: (r) => r.dataset },
  { key: "epochs", text: (r) => `${r.epoch} / ${r.epochs}`, sort: (r) => r.epoch },
  { key: "score", text: scoreText, sort: (r) => r.score?.value ?? null },
  { key: "test", text: (r) => { const t = testMetric(r); return t ? `${metric(t[1])} ${shortMetricLabel(t[0])}` : "–"; },
    sort: (r) => testMetric(r)?.[1] ?? null },
  // how long, and on what (the device under it)
  { key: "duration", text: (r) => `${durationText(r)} ${r.device ?? ""}`, sort: (r) => r.duration_s ?? null },
  { key: "tags", text: (r) => r.tags.join(" "), sort: (r) => r.tags.join(" ") || null },
];

export interface Order { key: ColumnKey; descending: boolean }

/** The runs a search keeps (every word found in some column's text, any case), in the
 * order asked for; with no order, as the server lists them (newest first). */
export function shownRuns(runs: RunSummary[], search: string, order: Order | null): RunSummary[] {
  const words = search.toLowerCase().split(/\s+/).filter(Boolean);
  const kept = runs.filter((run) => {
    const text = COLUMNS.map((c) => c.text(run)).join(" ").toLowerCase();
    return words.every((word) => text.includes(word));
  });
  if (!order) return kept;
  const column = COLUMNS.find((c) => c.key === order.key)!;
  const sign = order.descending ? -1 : 1;
  return [...kept].sort((a, b) => {
    const [x, y] = [column.sort(a), column.sort(b)];
    if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1; // missing last either way
    return sign * (typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y)));
  });
}

/** The next order after a click on a column's head: ascending, descending, then none. */
export function nextOrder(order: Order | null, key: ColumnKey): Order | null {
  if (order?.key !== key) return { key, descending: false };
  return order.descending ? null : { key, descending: true };
}
