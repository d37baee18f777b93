// Typed calls to the REST API. Types come from schema.d.ts, generated from the server's
// OpenAPI schema (`make api-types`); none are written by hand.
import type { components } from "./schema";

export type Schemas = components["schemas"];
export type NetworkSpec = Schemas["NetworkSpec"];
export type ValidateOut = Schemas["ValidateOut"];
export type LayerInfo = Schemas["LayerTypeOut"];
export type PresetSummary = Schemas["PresetOut"];
export type IssueOut = Schemas["IssueOut"];
export type RunOut = Schemas["RunOut"];
export type RunSummary = Schemas["RunSummaryOut"];
export type DatasetSummary = Schemas["DatasetOut"];
export type DatasetDetail = Schemas["DatasetDetailOut"];
export type TrainingSpec = Schemas["TrainingSpec"];
export type EncodedArray = Schemas["EncodedArray"];
export type BoundaryGrid = Schemas["BoundaryGrid"];
export type RunOrigin = Schemas["RunOrigin"];
export type SamplesOut = Schemas["SamplesOut"];
export type LessonSummary = Schemas["LessonSummaryOut"];
export type Lesson = Schemas["LessonOut"];
export type Experiment = Schemas["ExperimentOut"];
export type ExperimentResult = Schemas["ExperimentResult"];
export type SweepSpec = Schemas["SweepSpec"];
export type SweepRange = Schemas["Range"];
export type SweepSummary = Schemas["SweepSummaryOut"];
export type SweepOut = Schemas["SweepOut"];
export type TrialOut = Schemas["TrialOut"];

export const API = "/api/v1";

/** An answer that is not 2xx: the server's message and its per-field issues. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly issues: IssueOut[],
  ) {
    super(detail);
  }
}

export async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(API + path, {
    method,
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin",
  });
  const text = await response.text();
  const data = text && response.headers.get("content-type")?.includes("json") ? JSON.parse(text) : text;
  if (!response.ok) {
    const detail = typeof data === "object" && data?.detail ? String(data.detail) : response.statusText;
    throw new ApiError(response.status, detail, (data?.errors as IssueOut[]) ?? []);
  }
  return data as T;
}

export const api = {
  layers: () => call<LayerInfo[]>("GET", "/layers"),
  presets: () => call<PresetSummary[]>("GET", "/presets"),
  preset: (name: string) => call<NetworkSpec>("GET", `/presets/${encodeURIComponent(name)}`),
  validate: (spec: unknown) => call<ValidateOut>("POST", "/specs/validate", spec),
  exportCode: (spec: unknown) => call<string>("POST", "/specs/export/pytorch", spec),
  datasets: () => call<DatasetSummary[]>("GET", "/datasets"),
  dataset: (name: string, samples = 8) =>
    call<DatasetDetail>("GET", `/datasets/${encodeURIComponent(name)}?samples=${samples}`),
  createRun: (model: unknown, training: unknown, initFrom?: string | null) =>
    call<RunOut>("POST", "/runs", initFrom ? { model, training, init_from: { run_id: initFrom } } : { model, training }),
  /** A new run going on from a paused or ended one, with the edited network and settings. */
  continueRun: (id: string, model: unknown, training: unknown) =>
    call<RunOut>("POST", `/runs/${id}/continue`, { model, training }),
  run: (id: string) => call<RunOut>("GET", `/runs/${id}`),
  runs: () => call<Schemas["RunListOut"]>("GET", "/runs?limit=100"),
  metrics: (id: string) => call<Record<string, (number | null)[]>>("GET", `/runs/${id}/metrics`),
  action: (id: string, action: "stop" | "pause" | "resume") => call<RunOut>("POST", `/runs/${id}/${action}`),
  /** A 2-D model's prediction over the plane, from its latest weights, with its training points. */
  boundary: (id: string, resolution: number) =>
    call<BoundaryGrid>("GET", `/runs/${id}/inspect/boundary?resolution=${resolution}`),
  /** A GAN's sample grid at `step` (null: the latest), with real samples beside it when `real`. */
  samples: (id: string, step: number | null = null, real = false) =>
    call<SamplesOut>("GET", `/runs/${id}/inspect/samples?real=${real}${step === null ? "" : `&step=${step}`}`),
  /** Queue one run per trial of a sweep over `model` and `training` (a 422 names the trial and path). */
  createSweep: (model: unknown, training: unknown, sweep: SweepSpec, name?: string | null) =>
    call<SweepOut>("POST", "/sweeps", name ? { name, model, training, sweep } : { model, training, sweep }),
  sweeps: () => call<Schemas["SweepListOut"]>("GET", "/sweeps?limit=100"),
  sweep: (id: string) => call<SweepOut>("GET", `/sweeps/${id}`),
  stopSweep: (id: string) => call<SweepOut>("POST", `/sweeps/${id}/stop`),
  /** Resume its paused or interrupted trials (a server restart interrupts them) from their checkpoints. */
  resumeSweep: (id: string) => call<SweepOut>("POST", `/sweeps/${id}/resume`),
  deleteSweep: (id: string) => call<void>("DELETE", `/sweeps/${id}`),
  lessons: (lang: string) => call<LessonSummary[]>("GET", `/lessons?lang=${lang}`),
  lesson: (id: string, lang: string) => call<Lesson>("GET", `/lessons/${encodeURIComponent(id)}?lang=${lang}`),
  /** Each experiment's claims measured on the runs that trained them (experiment id -> run id). */
  lessonResults: (id: string, runs: Record<string, string>) =>
    call<ExperimentResult[]>("POST", `/lessons/${encodeURIComponent(id)}/results`, { runs }),
};

/** Decode an EncodedArray's bytes into a typed array (little-endian, as sent). */
export function decodeArray(array: EncodedArray): { shape: number[]; values: Float32Array | Uint8Array } {
  const bytes = Uint8Array.from(atob(array.data), (c) => c.charCodeAt(0));
  if (array.dtype === "uint8") return { shape: array.shape, values: bytes };
  if (array.dtype === "float32") return { shape: array.shape, values: new Float32Array(bytes.buffer) };
  const view = new DataView(bytes.buffer);
  if (array.dtype === "int64") {
    const out = new Float32Array(bytes.length / 8);
    for (let i = 0; i < out.length; i++) out[i] = Number(view.getBigInt64(i * 8, true));
    return { shape: array.shape, values: out };
  }
  const out = new Float32Array(bytes.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = float16(view.getUint16(i * 2, true));
  return { shape: array.shape, values: out };
}

function float16(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}
