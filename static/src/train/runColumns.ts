// The runs table's columns: what each shows of a run. The server sorts by each (a column's
// key is its sort in GET /runs) and searches the runs' names, networks, datasets and tags.
import type { RunSummary, Score } from "../api/client";
import i18n from "../i18n";
import { duration, metric } from "../format";
import { metricLabel, shortMetricLabel, statusLabel } from "./labels";

export type ColumnKey = "name" | "status" | "network" | "dataset" | "epochs" | "score" | "test" | "duration" | "tags";

interface Column {
  key: ColumnKey;
  /** The cell's text. */
  text: (run: RunSummary) => string;
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
  { key: "name", text: (r) => r.name },
  { key: "status", text: (r) => statusLabel(r.status) },
  { key: "network", text: (r) => r.network },
  { key: "dataset", text: (r) => r.dataset },
  { key: "epochs", text: (r) => `${r.epoch} / ${r.epochs}` },
  { key: "score", text: scoreText },
  { key: "test", text: (r) => { const t = testMetric(r); return t ? `${metric(t[1])} ${shortMetricLabel(t[0])}` : "–"; } },
  { key: "duration", text: durationText }, // the device is written under it
  { key: "tags", text: (r) => r.tags.join(" ") },
];

export interface Order { key: ColumnKey; descending: boolean }

/** An order as GET /runs takes it (none: newest first). */
export function sortQuery(order: Order | null): { sort?: ColumnKey; order?: "asc" | "desc" } {
  return order ? { sort: order.key, order: order.descending ? "desc" : "asc" } : {};
}

/** The next order after a click on a column's head: ascending, descending, then none. */
export function nextOrder(order: Order | null, key: ColumnKey): Order | null {
  if (order?.key !== key) return { key, descending: false };
  return order.descending ? null : { key, descending: true };
}
