// The parallel-coordinates axes: numbers on a linear scale (or a log one when they are all
// above 0 and span more than two decades), anything else as categories; and the colour a
// trial takes from its score. No DOM here.
import type { SweepSpec } from "../api/client";
import { viridis } from "../inspect/colour";
import { formatValue } from "./params";

export interface Tick {
  at: number; // 0 (bottom) .. 1 (top)
  label: string;
}

export interface Axis {
  kind: "linear" | "log" | "categorical";
  /** Where a value sits, 0 (bottom) .. 1 (top); null for a value the axis lacks. */
  place: (value: unknown) => number | null;
  ticks: Tick[];
}

/** An axis fitted to the values the trials take (missing ones ignored). */
export function axisFor(values: unknown[]): Axis {
  const present = values.filter((v) => v !== null && v !== undefined);
  const numbers = present.filter((v): v is number => typeof v === "number" && Number.isFinite(v));
  if (numbers.length && numbers.length === present.length) return numericAxis(numbers);
  const categories = [...new Set(present.map(formatValue))].sort();
  const at = (i: number) => (categories.length > 1 ? i / (categories.length - 1) : 0.5);
  return {
    kind: "categorical",
    place: (v) => (v === null || v === undefined ? null : at(categories.indexOf(formatValue(v)))),
    ticks: categories.map((label, i) => ({ at: at(i), label })),
  };
}

function numericAxis(numbers: number[]): Axis {
  const low = Math.min(...numbers);
  const high = Math.max(...numbers);
  const log = low > 0 && high / low > 100;
  const scale = log ? Math.log10 : (v: number) => v;
  const [from, to] = [scale(low), scale(high)];
  const at = (v: number) => (to > from ? (scale(v) - from) / (to - from) : 0.5);
  const place = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? at(v) : null);
  if (low === high) return { kind: "linear", place, ticks: [{ at: 0.5, label: formatValue(low) }] };
  const inner = log
    ? Array.from({ length: Math.floor(to) - Math.ceil(from) + 1 }, (_, i) => 10 ** (Math.ceil(from) + i))
    : [(low + high) / 2];
  const values = [low, ...inner.filter((v) => Math.abs(at(v) - at(low)) > 0.08 && Math.abs(at(high) - at(v)) > 0.08), high];
  return { kind: log ? "log" : "linear", place, ticks: values.map((v) => ({ at: at(v), label: formatValue(v) })) };
}

/** Whether higher scores are better (the server's rule for mode auto). */
export function maximizes(sweep: Pick<SweepSpec, "metric" | "mode">): boolean {
  if (sweep.mode !== "auto") return sweep.mode === "max";
  return sweep.metric.includes("accuracy") || sweep.metric.includes("r2");
}

/** A colour per trial from its score: viridis from the worst (dark) to the best (bright);
 * null for a trial with no score yet. Each theme leaves out the end that would vanish into
 * its background (the brightest yellows on white, the darkest purples on the dark theme). */
export function scoreColours(scores: (number | null)[], maximize: boolean, dark = false): (string | null)[] {
  const known = scores.filter((s): s is number => s !== null);
  const [low, high] = [Math.min(...known), Math.max(...known)];
  return scores.map((s) => {
    if (s === null) return null;
    const good = high > low ? (s - low) / (high - low) : 1;
    const [from, to] = dark ? [0.25, 1] : [0, 0.85];
    const [r, g, b] = viridis(from + (to - from) * (maximize ? good : 1 - good));
    return `rgb(${Math.round(r)}, ${Math.round(g)}, ${Math.round(b)})`;
  });
}
