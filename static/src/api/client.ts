// The UI's way to the REST API: the client generated from the server's OpenAPI schema
// (./gen, by `make api-types`: one function per operation, its types), `unwrap` that turns
// a refused call into an ApiError, and the calls the UI makes, named for what they do. No
// path is written here: each call, link and socket is a generated operation's.
import type { components } from "./schema";
import { client } from "./gen/client.gen";
import * as sdk from "./gen/sdk.gen";
import type * as T from "./gen/types.gen";

/** The schema's components by name, for code that indexes them (`Schemas["LatentOut"]`). */
export type Schemas = components["schemas"];
export type {
  BoundaryGrid, EncodedArray, ExperimentResult, InvalidSpecOut, IssueOut, MetaOut, NetworkSpec, RunMetrics, RunOrigin, RunOut,
  SamplesOut, Score, SnapshotMessage, StreamMessage, SweepOut, TrainingSpec, TrialOut, ValidateOut,
} from "./gen/types.gen";
/** A sweep as the UI's form holds it, and as a sweep's answer carries it: every field set
 * (the generated types leave a field with a default optional, as a request may). */
export type SweepSpec = Schemas["SweepSpec"];
export type LayerInfo = T.LayerTypeOut;
export type ActivationCurves = T.ActivationCurvesOut;
export type ActivationCurve = T.ActivationCurveOut;
export type PresetSummary = T.PresetOut;
export type RunSummary = T.RunSummaryOut;
/** What GET /runs finds: filters, search words, a sort and a page. */
export type RunsQuery = NonNullable<T.ListRunsData["query"]>;
export type DatasetSummary = T.DatasetOut;
export type ImportedNetwork = T.ImportOut;
/** An upload kept on the server: an image folder (its name, images and classes) or a table. */
export interface StoredUpload { id: string; created: string; name?: string; images?: number; classes?: string[]; size?: number }
export type DatasetDetail = T.DatasetDetailOut;
export type LessonSummary = T.LessonSummaryOut;
export type Lesson = T.LessonOut;
export type Experiment = T.ExperimentOut;
export type SweepRange = Schemas["Range"];
export type SweepSummary = T.SweepSummaryOut;
export type Me = T.Me;
export type ClassInfo = T.ClassOut;
export type Assignment = T.AssignmentOut;
export type AssignmentIn = T.AssignmentIn;
export type Submission = T.SubmissionOut;
export type ClassDashboard = T.Dashboard;
export type ExportFormat = T.ExportRunData["path"]["fmt"];
type Lang = NonNullable<T.ListLessonsData["query"]>["lang"];

/** An answer that is not 2xx: the server's message and its per-field issues. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly issues: T.IssueOut[],
    readonly answer: unknown = null, // the whole body refused, e.g. an InvalidSpecOut
  ) {
    super(detail);
  }
}

interface Answer<D> {
  data?: D;
  error?: unknown;
  response?: Response;
}

/** A generated call's data, or its refusal thrown as an ApiError (a failure to reach the
 * server is thrown as the browser's error). */
export async function unwrap<D>(call: Promise<Answer<D>>): Promise<D> {
  const { data, error, response } = await call;
  if (!response) throw error;
  if (response.ok && error === undefined) return data as D;
  const body = typeof error === "object" && error !== null ? (error as Partial<T.ErrorOut>) : {};
  throw new ApiError(response.status, body.detail ? String(body.detail) : response.statusText, body.errors ?? [],
    error ?? null);
}

/** The session's CSRF token, sent with every change (POST, PUT, PATCH, DELETE) on a server
 * with accounts: the session cookie alone changes nothing. */
let csrf: string | null = null;
const CHANGES = new Set(["POST", "PUT", "PATCH", "DELETE"]);
client.interceptors.request.use((request) => {
  if (csrf && CHANGES.has(request.method)) request.headers.set("X-CSRF-Token", csrf);
  return request;
});

/** Who is signed in: null on a server without accounts, "signed out" (401) on one with
 * them where nobody is. */
export async function whoAmI(): Promise<Me | null | "signed out"> {
  try {
    if (!(await unwrap(sdk.getMeta())).accounts) return null;
    const me = await unwrap(sdk.me());
    csrf = me.csrf ?? null;
    return me;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return "signed out";
    throw error;
  }
}

/** The URL a generated GET operation asks, built by the generated client without asking it
 * (the operation is handed a client whose `get` only builds the URL): for what the browser
 * opens itself, a download link or a websocket. */
export function urlOf<O>(operation: (options: O) => unknown, options: O): string {
  const builder = { ...client, get: (request: Parameters<typeof client.buildUrl>[0]) => client.buildUrl(request) };
  return operation({ ...options, client: builder }) as string;
}

/** The websocket that follows a run: the stream's operation, on ws: or wss:. */
export function streamUrl(runId: string): string {
  const url = new URL(urlOf(sdk.streamSnapshot, { path: { run_id: runId } }), window.location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.href;
}

/** Where a completed run's weights download in one format. */
export const exportUrl = (runId: string, fmt: ExportFormat) => urlOf(sdk.exportRun, { path: { run_id: runId, fmt } });

/** What a run's weights start from, as the editor keeps it: a run's id, or an imported
 * network's id after this prefix. */
export const IMPORTED = "import:";

function initFromBody(initFrom: string): T.InitFrom {
  return initFrom.startsWith(IMPORTED) ? { import_id: initFrom.slice(IMPORTED.length) } : { run_id: initFrom };
}

export const api = {
  /** The server's rules the UI follows (final statuses, the stream's boundary resolution). */
  meta: () => unwrap(sdk.getMeta()),
  layers: () => unwrap(sdk.listLayers()),
  /** Every activation's f(x) and f′(x), sampled by the server's own modules (leaky_relu
   * with `negativeSlope`, else its default). */
  activations: (negativeSlope?: number) =>
    unwrap(sdk.listActivations(negativeSlope === undefined ? {} : { query: { negative_slope: negativeSlope } })),
  presets: () => unwrap(sdk.listPresets()),
  preset: (name: string) => unwrap(sdk.getPreset({ path: { name } })),
  validate: (spec: unknown) => unwrap(sdk.validateSpec({ body: spec as T.NetworkSpec })),
  exportCode: (spec: unknown) => unwrap(sdk.exportPytorch({ body: spec as T.NetworkSpec })),
  datasets: () => unwrap(sdk.listDatasets()),
  /** Every task kind: its charts, its views, whether its network reads the dataset. */
  tasks: () => unwrap(sdk.listTasks()),
  dataset: (name: string, samples = 8, options: Record<string, unknown> = {}) => unwrap(sdk.getDataset({
    path: { name }, query: { samples, ...(Object.keys(options).length ? { options: JSON.stringify(options) } : {}) } })),
  /** `initFrom`: a run's id, or IMPORTED + an imported network's id; `assignment`: the
   * assignment it is for (its locked fields are checked). */
  createRun: (model: unknown, training: unknown, initFrom?: string | null, assignment?: string | null) =>
    unwrap(sdk.createRun({ body: { model: model as T.NetworkSpec, training: training as T.TrainingSpec,
      ...(initFrom ? { init_from: initFromBody(initFrom) } : {}), ...(assignment ? { assignment_id: assignment } : {}) } })),
  /** Import a network from an ONNX file; its weights stay for runs to start from. */
  importOnnx: (file: File) => unwrap(sdk.importOnnxFile({ body: file as unknown as Blob, query: { filename: file.name } })),
  /** The imported networks, newest first. */
  imports: () => unwrap(sdk.listImported()),
  /** A new run going on from a paused or ended one, with the edited network and settings. */
  continueRun: (id: string, model: unknown, training: unknown) =>
    unwrap(sdk.continueRun({ path: { run_id: id }, body: { model: model as T.NetworkSpec, training: training as T.TrainingSpec } })),
  run: (id: string) => unwrap(sdk.getRun({ path: { run_id: id } })),
  /** Rename a run, or set its tags or description (left out: kept). */
  editRun: (id: string, labels: T.RunEdit) => unwrap(sdk.editRun({ path: { run_id: id }, body: labels })),
  /** The inspect views that apply to a run (its task, input and layers decide). */
  views: (id: string) => unwrap(sdk.inspectViews({ path: { run_id: id } })),
  /** A page of the runs the server finds for `query`, and their total. */
  runs: (query: RunsQuery = {}) => unwrap(sdk.listRuns({ query })),
  /** Send a file a dataset option names (its schema's `x-upload`: "csv" or "images"). */
  upload: (kind: string, file: File) => kind === "images"
    ? unwrap(sdk.uploadImages({ body: file, query: { name: file.name } }))
    : unwrap(sdk.uploadCsv({ body: file as unknown as string })),
  /** What was uploaded before, of a kind, newest first: {id, label} to choose from. */
  uploads: async (kind: string): Promise<StoredUpload[]> => kind === "images"
    ? (await unwrap(sdk.listImageUploads())).folders.map((f) => ({ id: f.upload_id, name: f.name,
      images: f.images, classes: f.classes, created: f.created_at }))
    : (await unwrap(sdk.listCsvUploads())).uploads.map((u) => ({ id: u.upload_id, size: u.size, created: u.created_at })),
  /** Delete an upload; a 409 names the run that still trains on it. */
  deleteUpload: (kind: string, id: string) => kind === "images"
    ? unwrap(sdk.deleteImagesUpload({ path: { upload_id: id } }))
    : unwrap(sdk.deleteCsvUpload({ path: { upload_id: id } })),
  /** Metric columns of a step range, at most `points` values a metric (0: every row). */
  metrics: (id: string, query: NonNullable<T.GetMetricsData["query"]>) =>
    unwrap(sdk.getMetrics({ path: { run_id: id }, query })),
  /** The run and its metrics so far as step rows and epoch rows: what its stream starts with. */
  snapshot: (id: string) => unwrap(sdk.streamSnapshot({ path: { run_id: id } })),
  action: (id: string, action: "stop" | "pause" | "resume") =>
    unwrap({ stop: sdk.stopRun, pause: sdk.pauseRun, resume: sdk.resumeRun }[action]({ path: { run_id: id } })),
  /** A 2-D model's prediction over the plane, from its latest weights, with its training points. */
  boundary: (id: string, resolution: number) => unwrap(sdk.inspectBoundary({ path: { run_id: id }, query: { resolution } })),
  /** A GAN's sample grid at `step` (null: the latest), with real samples beside it when `real`. */
  samples: (id: string, step: number | null = null, real = false) =>
    unwrap(sdk.inspectSamples({ path: { run_id: id }, query: { real, ...(step === null ? {} : { step }) } })),
  /** Queue one run per trial of a sweep over `model` and `training` (a 422 names the trial and path). */
  createSweep: (model: unknown, training: unknown, sweep: SweepSpec, name?: string | null) =>
    unwrap(sdk.createSweep({ body: { model: model as T.NetworkSpec, training: training as T.TrainingSpec, sweep, ...(name ? { name } : {}) } })),
  sweeps: () => unwrap(sdk.listSweeps({ query: { limit: 100 } })),
  sweep: (id: string) => unwrap(sdk.getSweep({ path: { sweep_id: id } })),
  /** Which parameters mattered to the sweep's scores (null while too few have one). */
  sweepImportances: (id: string) => unwrap(sdk.sweepImportances({ path: { sweep_id: id } })),
  stopSweep: (id: string) => unwrap(sdk.stopSweep({ path: { sweep_id: id } })),
  /** Resume its paused or interrupted trials (a server restart interrupts them) from their checkpoints. */
  resumeSweep: (id: string) => unwrap(sdk.resumeSweep({ path: { sweep_id: id } })),
  deleteSweep: (id: string) => unwrap(sdk.deleteSweep({ path: { sweep_id: id } })),
  lessons: (lang: string) => unwrap(sdk.listLessons({ query: { lang: lang as Lang } })),
  lesson: (id: string, lang: string) => unwrap(sdk.getLesson({ path: { lesson_id: id }, query: { lang: lang as Lang } })),
  /** Each experiment's claims measured on the runs that trained them (experiment id -> run id). */
  lessonResults: (id: string, runs: Record<string, string>) =>
    unwrap(sdk.lessonResults({ path: { lesson_id: id }, body: { runs } })),
  /** Sign in; the session's cookie is kept by the browser, its CSRF token here. */
  signIn: async (name: string, password: string) => {
    const me = await unwrap(sdk.signIn({ body: { name, password } }));
    csrf = me.csrf ?? null;
    return me;
  },
  signOut: async () => {
    await unwrap(sdk.signOut());
    csrf = null;
  },
  classes: () => unwrap(sdk.listClasses()),
  createClass: (name: string) => unwrap(sdk.createClass({ body: { name } })),
  joinClass: (code: string) => unwrap(sdk.joinClass({ body: { code } })),
  assignments: () => unwrap(sdk.listAssignments()),
  createAssignment: (classId: string, body: AssignmentIn) =>
    unwrap(sdk.createAssignment({ path: { class_id: classId }, body })),
  submissions: (id: string) => unwrap(sdk.listSubmissions({ path: { assignment_id: id } })),
  submit: (id: string, runId: string) => unwrap(sdk.submit({ path: { assignment_id: id }, body: { run_id: runId } })),
  classDashboard: (id: string) => unwrap(sdk.assignmentDashboard({ path: { assignment_id: id } })),
  /** Where a lesson's progress is kept for the signed-in user (lesson id -> its state). */
  progress: () => unwrap(sdk.lessonProgress()),
  saveProgress: (lesson: string, state: Record<string, unknown>) =>
    unwrap(sdk.saveLessonProgress({ path: { lesson_id: lesson }, body: state })),
};

/** Where an assignment's marks download as CSV. */
export const marksUrl = (id: string) => urlOf(sdk.exportMarks, { path: { assignment_id: id } });
/** Decode an EncodedArray's bytes into a typed array (little-endian, as sent). */
export function decodeArray(array: T.EncodedArray): { shape: number[]; values: Float32Array | Uint8Array } {
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
