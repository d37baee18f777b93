// Runs side by side: any epoch metric against the epoch, the step or the time trained;
// runs that differ in their seed alone grouped into one mean line with a ±1 std band.
import type { RunMetrics, RunOut } from "../api/client";
import { flatten } from "./diff";

export type XAxis = "epoch" | "step" | "time";

/** A compared run: its record and its epoch rows as columns by name. */
export interface Compared {
  run: RunOut;
  epochs: Record<string, (number | null)[]>; // epoch (1 for the first), step, time (s), metrics
}

/** Metrics that are not a run's score or curve (per-epoch bookkeeping). */
const NOT_METRICS = new Set(["epoch", "step", "time", "seconds", "memory_mb"]);

/** A run's epoch rows, with the epoch counted from 1 and the time trained so far. */
export function compared(run: RunOut, metrics: RunMetrics): Compared {
  const { epoch, step, seconds, values } = metrics.epochs;
  let total = 0;
  const time = seconds.map((s) => (total += s ?? 0));
  return { run, epochs: { ...values, epoch: epoch.map((e) => e + 1), step, time } };
}

/** Every metric some compared run reports per epoch: validation first, then training,
 * then the rest (gradient norms, the learning rate), each group alphabetical. */
export function metricNames(runs: Compared[]): string[] {
  const names = [...new Set(runs.flatMap((c) => Object.keys(c.epochs)))].filter((n) => !NOT_METRICS.has(n));
  const rank = (name: string) => (name.startsWith("val_") ? 0 : name.startsWith("train_") ? 1 : 2);
  return names.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/** The metric a comparison opens on: validation loss, else training loss, else the first. */
export function defaultMetric(names: string[]): string | null {
  return ["val_loss", "train_loss"].find((n) => names.includes(n)) ?? names[0] ?? null;
}

/** What makes runs one configuration: their network and settings but for the seed (and
 * the network's name), as JSON. */
function configuration(run: RunOut): string {
  const flat = flatten({ spec: run.spec, training: run.training });
  delete flat["training.seed"];
  delete flat["spec.name"];
  return JSON.stringify(Object.entries(flat).sort(([a], [b]) => a.localeCompare(b)));
}

/** The runs grouped by configuration, in the order each group's first run comes. */
export function seedGroups(runs: Compared[]): Compared[][] {
  const groups = new Map<string, Compared[]>();
  for (const c of runs) {
    const key = configuration(c.run);
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  return [...groups.values()];
}

/** A group's mean and standard deviation of `metric` at each epoch every run of it has
 * (x by epoch: seeds of one configuration share their epochs, not their time). */
export function meanBand(group: Compared[], metric: string): { x: number[]; mean: number[]; std: number[] } {
  const at = new Map<number, number[]>();
  for (const c of group) {
    c.epochs.epoch.forEach((e, i) => {
      const v = c.epochs[metric]?.[i];
      if (e !== null && v !== null && v !== undefined && Number.isFinite(v)) at.set(e, [...(at.get(e) ?? []), v]);
    });
  }
  const x = [...at.keys()].filter((e) => at.get(e)!.length === group.length).sort((a, b) => a - b);
  const mean = x.map((e) => at.get(e)!.reduce((a, b) => a + b, 0) / group.length);
  const std = x.map((e, i) => Math.sqrt(at.get(e)!.reduce((a, v) => a + (v - mean[i]) ** 2, 0) / group.length));
  return { x, mean, std };
}

/** The last value of `metric` a run reported (its final epoch's). */
export function finalValue(c: Compared, metric: string): number | null {
  const values = c.epochs[metric] ?? [];
  for (let i = values.length - 1; i >= 0; i -= 1) if (values[i] !== null && Number.isFinite(values[i])) return values[i];
  return null;
}
