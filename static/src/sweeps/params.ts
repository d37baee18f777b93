// A sweep's parameters as the form holds them (one row per path, values as typed) and as
// the API takes them; values read and written as people type them. No DOM here.
import type { LayerInfo, SweepRange, SweepSpec } from "../api/client";
import type { Doc } from "../editor/model";
import { exponential, plain } from "../format";

export type Method = SweepSpec["method"];
export type Value = string | number | boolean | null;

/** One parameter of the form: a path and either listed values or (not in a grid) a range. */
export interface ParamRow {
  path: string;
  kind: "list" | "range";
  values: string; // comma-separated, as typed
  low: string;
  high: string;
  log: boolean;
  integer: boolean;
}

export function emptyRow(path = ""): ParamRow {
  return { path, kind: "list", values: "", low: "", high: "", log: false, integer: false };
}

/** One typed value: a number where it reads as one, true/false as booleans, else the text. */
export function parseValue(text: string): Value {
  const clean = text.trim();
  if (clean === "true" || clean === "false") return clean === "true";
  if (clean === "null") return null;
  const number = Number(clean);
  return clean !== "" && Number.isFinite(number) ? number : clean;
}

/** A comma-separated list of values (empty items left out). */
export function parseValues(text: string): Value[] {
  return text.split(",").map((item) => item.trim()).filter((item) => item !== "").map(parseValue);
}

/** A value as a table cell or an axis tick shows it. */
export function formatValue(value: unknown): string {
  if (typeof value === "number") {
    if (Number.isInteger(value)) return plain(value);
    const abs = Math.abs(value);
    return abs !== 0 && (abs < 1e-3 || abs >= 1e5) ? exponential(value, 2) : plain(Number(value.toPrecision(4)));
  }
  if (typeof value === "string") return value;
  return JSON.stringify(value);
}

/** The rows a person has started (a path or some values typed). */
function used(rows: ParamRow[]): ParamRow[] {
  return rows.filter((row) => row.path.trim() || row.values.trim() || row.low.trim() || row.high.trim());
}

/** How many runs a grid of these rows makes (the product of the lists' lengths). */
export function gridSize(rows: ParamRow[]): number {
  const started = used(rows);
  return started.length ? started.reduce((n, row) => n * parseValues(row.values).length, 1) : 0;
}

/** The API's `parameters`: lists as values, ranges (not in a grid) as {low, high, log, integer}. */
export function toParameters(rows: ParamRow[], method: Method): SweepSpec["parameters"] {
  return Object.fromEntries(used(rows).map((row): [string, Value[] | SweepRange] => [row.path.trim(),
    method !== "grid" && row.kind === "range"
      ? { low: Number(row.low), high: Number(row.high), log: row.log, integer: row.integer }
      : parseValues(row.values)]));
}

/** What the form sweeps by default: the learning rate. */
export const TRAINING_PATHS = [
  "optimizer.lr", "optimizer.name", "optimizer.momentum", "optimizer.weight_decay", "batch_size", "epochs",
  "l1", "l2", "input_noise", "grad_clip", "validation_split", "seed",
];

/** Paths worth suggesting: each layer's fields (its settings and its type's schema), the
 * input's, the dataset's options in use, and the common training settings. */
export function pathSuggestions(doc: Doc, catalog: LayerInfo[], datasetOptions: string[]): string[] {
  const layerPaths = doc.layers.flatMap((layer) => {
    const schema = catalog.find((info) => info.type === layer.type)?.schema as { properties?: Record<string, unknown> } | undefined;
    const fields = new Set([...Object.keys(layer.params), ...Object.keys(schema?.properties ?? {})]);
    for (const skip of ["id", "type", "inputs"]) fields.delete(skip);
    return [...fields].map((field) => `layers.${layer.id}.${field}`);
  });
  return [...layerPaths, "input.shape", ...TRAINING_PATHS, ...datasetOptions.map((name) => `dataset.options.${name}`)];
}

/** The metrics the form offers; any other can be typed. */
export const METRICS = ["val_loss", "val_accuracy", "train_loss", "test_loss", "test_accuracy"];
