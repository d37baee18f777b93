// The one place the UI decodes a run's stream: the snapshot (also answered over HTTP) and
// every event, typed by the client generated from the server's schema (StreamMessage, told
// apart by `kind`), so a message field renamed on either side fails the type check. The
// server sends metrics already split into step rows and epoch rows; no names are read for
// what they mean. No DOM here.
import type { BoundaryGrid, RunMetrics, RunOut, StreamMessage } from "../api/client";

export type Columns = Record<string, (number | null)[]>;

/** A run's metrics as columns: one row per step (step, epoch, train_loss, ...) and one per
 * epoch (step, epoch, seconds, memory_mb, val_loss, lr, the epoch's train_loss, ...). */
export interface Rows {
  steps: Columns;
  epochs: Columns;
}

/** What the stream has told of a run so far. */
export interface StreamState extends Rows {
  run: RunOut | null;
  status: string;
  boundary: BoundaryGrid | null;
  // bumped for each sample grid a GAN draws, and by a GAN's snapshot (it may have drawn
  // some before we came): fetch the newest when it changes; 0: none yet
  samplesDrawn: number;
  // when it (last) started or resumed, and the step it went on from (the ETA's speed is
  // measured from there)
  started: { epochs: number; steps_per_epoch: number; start: number; fromStep: number } | null;
  device: string | null; // where it trains, as the worker says: "cpu (2 threads)", "cuda:0 (…)"
  memoryMb: number | null; // the run's peak memory so far, as its latest epoch reported it
  reason: string | null;
  notes: string[]; // advice the run gave as it trained (e.g. on its learning rate)
  failure: string | null; // why a failed run failed: "disk" or "worker" ones may resume
  // a long run's charts draw its history from some of its step rows (each stretch's lowest
  // and highest kept: by the server in a snapshot, here past LIVE_POINTS live rows)
  thinned: { shown: number; total: number } | null;
  stepCount: number; // the step rows the run has sent, drawn or not
  test: Record<string, number>; // measured on the test split once training ended (none before)
}

export function emptyState(): StreamState {
  return { run: null, status: "queued", steps: {}, epochs: {}, boundary: null, samplesDrawn: 0, started: null,
    device: null, memoryMb: null, reason: null, notes: [], failure: null, thinned: null, stepCount: 0, test: {} };
}

/** A message as the socket delivers it. */
export function decode(text: string): StreamMessage {
  return JSON.parse(text) as StreamMessage;
}

/** The server's step rows and epoch rows as columns by name. */
export function rowsOf(metrics: RunMetrics): Rows {
  const { steps, epochs } = metrics;
  return {
    steps: { ...steps.values, step: steps.step, epoch: steps.epoch },
    epochs: { ...epochs.values, step: epochs.step, epoch: epochs.epoch, seconds: epochs.seconds, memory_mb: epochs.memory_mb },
  };
}

/** Each epoch's loss: validation's, else the epoch's training average (runs without a
 * validation split); epochs with neither are left out. */
export function epochLoss(metrics: RunMetrics): { epochs: number[]; loss: number[] } {
  const { epoch, values } = metrics.epochs;
  const rows = epoch.map((e, i) => [e, values.val_loss?.[i] ?? values.train_loss?.[i] ?? null] as const)
    .filter((row): row is readonly [number, number] => row[1] !== null);
  return { epochs: rows.map(([e]) => e), loss: rows.map(([, v]) => v) };
}

/** The most step rows the live charts hold: past it, they are thinned to half (each
 * stretch's lowest and highest of every metric kept, as the server thins a snapshot), so a
 * run of a million steps draws as fast as one of a thousand. */
export const LIVE_POINTS = 4000;

/** The rows to keep of `columns` for at most `points`: the first, the last, and in each
 * stretch of steps (of equal length, as the server cuts them) the lowest and highest value
 * of every metric, so thinning again and again keeps the history evenly drawn. */
export function thinned(columns: Columns, points: number): Columns {
  const steps = columns.step ?? [];
  const total = steps.length;
  const metrics = Object.keys(columns).filter((name) => name !== "step" && name !== "epoch");
  if (total <= points) return columns;
  const buckets = Math.max(1, Math.floor((points - 2) / (2 * Math.max(metrics.length, 1))));
  const first = steps[0] ?? 0, span = Math.max((steps[total - 1] ?? 0) - first, 1);
  const bucketOf = (i: number) => Math.min(buckets - 1, Math.floor((((steps[i] ?? first) - first) / span) * buckets));
  const low = new Map<string, number>(), high = new Map<string, number>(); // "bucket metric" -> row
  const keep = new Set([0, total - 1]);
  for (let i = 0; i < total; i++) {
    const bucket = bucketOf(i);
    if (!metrics.length) keep.add(i);
    for (const name of metrics) {
      const v = columns[name][i];
      if (v === null || v === undefined || Number.isNaN(v)) continue;
      const key = `${bucket} ${name}`;
      const lo = low.get(key), hi = high.get(key);
      if (lo === undefined || v < columns[name][lo]!) low.set(key, i);
      if (hi === undefined || v > columns[name][hi]!) high.set(key, i);
    }
  }
  for (const row of [...low.values(), ...high.values()]) keep.add(row);
  const rows = [...keep].sort((a, b) => a - b);
  return Object.fromEntries(Object.entries(columns).map(([name, column]) => [name, rows.map((i) => column[i] ?? null)]));
}

/** Columns joined end to end; a name one side lacks is null there. */
export function concat(a: Columns, b: Columns): Columns {
  const length = (c: Columns) => c.step?.length ?? 0;
  const names = new Set([...Object.keys(a), ...Object.keys(b)]);
  return Object.fromEntries([...names].map((name) => [name, [
    ...(a[name] ?? new Array(length(a)).fill(null)), ...(b[name] ?? new Array(length(b)).fill(null))]]));
}

const lastOf = (column: (number | null)[] | undefined) => [...(column ?? [])].reverse().find((v) => v !== null) ?? null;

/** Apply one message to the state, in place. `now` stamps a start (for the ETA). */
export function apply(s: StreamState, message: StreamMessage, now: number): void {
  switch (message.kind) {
    case "snapshot": {
      Object.assign(s, rowsOf(message.metrics), { run: message.run, status: message.run.status ?? s.status,
        notes: message.run.notes ?? [], failure: message.run.failure ?? null, test: message.run.test_metrics ?? {},
        device: message.run.device ?? s.device, memoryMb: lastOf(message.metrics.epochs.memory_mb) ?? s.memoryMb,
        stepCount: message.total_steps,
        thinned: message.downsampled ? { shown: message.metrics.steps.step.length, total: message.total_steps } : null });
      if (message.boundary) s.boundary = message.boundary.boundary;
      break;
    }
    case "started":
      s.status = "running";
      s.started = { epochs: message.epochs, steps_per_epoch: message.steps_per_epoch, start: now,
        fromStep: lastOf(s.steps.step) ?? 0 };
      s.device = message.device;
      // e.g. a damaged checkpoint passed over on resume, or training on the output's logits
      if (message.notice && !s.notes.includes(message.notice)) s.notes = [...s.notes, message.notice];
      break;
    case "metrics": {
      s.steps = concat(s.steps, { ...message.values, step: message.step, epoch: message.epoch });
      s.stepCount += message.step.length;
      if ((s.steps.step?.length ?? 0) > LIVE_POINTS) s.steps = thinned(s.steps, LIVE_POINTS / 2);
      const shown = s.steps.step?.length ?? 0;
      s.thinned = shown < s.stepCount ? { shown, total: s.stepCount } : null;
      break;
    }
    case "epoch":
      s.epochs = concat(s.epochs, Object.fromEntries(Object.entries({ ...message.metrics, step: message.step,
        epoch: message.epoch, seconds: message.seconds, memory_mb: message.memory_mb ?? null }).map(([k, v]) => [k, [v]])));
      s.memoryMb = message.memory_mb ?? s.memoryMb;
      break;
    case "boundary":
      s.boundary = message.boundary;
      break;
    case "samples":
      s.samplesDrawn += 1;
      break;
    case "finished":
      s.status = message.status;
      s.reason = message.reason ?? null;
      s.failure = message.cause ?? null;
      s.test = message.metrics ?? {};
      break;
    case "note":
      if (!s.notes.includes(message.text)) s.notes = [...s.notes, message.text];
      break;
    case "checkpoint":
      break; // nothing shown: the run resumes from it, the stream goes on
    default: {
      const unknown: never = message; // a kind the schema adds must be decoded here
      void unknown;
    }
  }
}
