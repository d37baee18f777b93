// Follow a run over its websocket: the snapshot, then metric blocks, epochs, boundaries,
// a GAN's sample grids and the final event. Reconnects by itself; the next snapshot fills any gap.
import { useEffect, useRef, useState } from "react";
import type { BoundaryGrid, RunOrigin, RunOut } from "../api/client";
import { API, api } from "../api/client";

export type Columns = Record<string, (number | null)[]>;

export interface RunView {
  run: RunOut | null;
  status: string;
  steps: Columns; // step, epoch, train_loss, train_accuracy, ...
  epochs: Columns; // step, epoch, val_loss, val_accuracy, ... (one row per epoch)
  boundary: BoundaryGrid | null;
  // bumped for each sample grid a GAN draws, and by a GAN's snapshot (it may have drawn
  // some before we came): fetch the newest when it changes; 0: none yet
  samplesDrawn: number;
  started: { epochs: number; steps_per_epoch: number; start: number } | null;
  device: string | null; // where it trains, as the worker says: "cpu (2 threads)", "cuda:0 (…)"
  memoryMb: number | null; // the run's peak memory so far, as its latest epoch reported it
  reason: string | null;
  // the runs this one continues after edits (oldest first), each cut at its edit step
  before: { steps: Columns; epochs: Columns } | null;
  edits: number[]; // the steps where the edits happened
  connected: boolean;
  version: number; // bumped on every change, for charts
}

// The server's final statuses: a paused or interrupted run may go on, so its stream is
// reopened (the server keeps it open and sends the resumed run's events).
const FINAL = new Set(["completed", "stopped", "failed", "diverged"]);

const BOUNDARY_RESOLUTION = 50; // as the server streams it

/** A run over 2-D points that is not training now: the stream will send no boundary, and
 * the snapshot has none once the run has ended (a GAN's 2-D input is its noise). */
function drawsBoundary(run: RunOut): boolean {
  const shape = run.spec.input.shape;
  return shape.length === 1 && shape[0] === 2 && run.spec.input.dtype !== "token"
    && run.training.task !== "gan" && !["queued", "running"].includes(run.status);
}

/** The stored columns split into per-step rows (train_loss, train_accuracy) and
 * per-epoch rows (marked by epoch_seconds; val_*, lr, and the epoch's train averages,
 * stored as epoch_train_*). */
function fromSnapshot(metrics: Columns): { steps: Columns; epochs: Columns } {
  const names = Object.keys(metrics).filter((n) => n !== "step" && n !== "epoch");
  const stepNames = names.filter((n) => n.startsWith("train_"));
  const epochNames = names.filter((n) => !n.startsWith("train_"));
  const steps: Columns = { step: [], epoch: [] };
  const epochs: Columns = { step: [], epoch: [] };
  (metrics.step ?? []).forEach((step, i) => {
    if (metrics.train_loss?.[i] !== null && metrics.train_loss?.[i] !== undefined) {
      steps.step.push(step);
      steps.epoch.push(metrics.epoch[i]);
      for (const n of stepNames) (steps[n] ??= []).push(metrics[n][i]);
    }
    if (metrics.epoch_seconds?.[i] !== null && metrics.epoch_seconds?.[i] !== undefined) {
      epochs.step.push(step);
      epochs.epoch.push(metrics.epoch[i]);
      for (const n of epochNames) (epochs[n.replace(/^epoch_/, "")] ??= []).push(metrics[n][i]);
    }
  });
  return { steps, epochs };
}

/** Columns joined end to end; a name one side lacks is null there. */
export function concat(a: Columns, b: Columns): Columns {
  const length = (c: Columns) => c.step?.length ?? 0;
  const names = new Set([...Object.keys(a), ...Object.keys(b)]);
  return Object.fromEntries([...names].map((name) => [name, [
    ...(a[name] ?? new Array(length(a)).fill(null)), ...(b[name] ?? new Array(length(b)).fill(null))]]));
}

/** The metrics of the runs an edited run goes on from, parent first, each up to the step
 * where the next one took over (at most 8 generations). */
async function lineage(origin: RunOrigin | null | undefined) {
  let steps: Columns = { step: [], epoch: [] };
  let epochs: Columns = { step: [], epoch: [] };
  const edits: number[] = [];
  for (let o = origin, depth = 0; o?.kind === "edit" && depth < 8; depth += 1) {
    const [parent, metrics] = await Promise.all([api.run(o.run_id), api.metrics(o.run_id)]);
    const keep = (metrics.step ?? []).map((step) => step !== null && step <= o!.step);
    const cut = Object.fromEntries(Object.entries(metrics).map(([k, v]) => [k, v.filter((_, i) => keep[i])]));
    const part = fromSnapshot(cut);
    steps = concat(part.steps, steps);
    epochs = concat(part.epochs, epochs);
    edits.unshift(o.step);
    o = parent.origin;
  }
  return { steps, epochs, edits };
}

export function useRunStream(runId: string | null): RunView & { setStatus: (status: string) => void } {
  const [view, setView] = useState<RunView>(() => empty());
  const live = useRef<RunView>(empty()); // the current run's state, changed in place
  const publishLive = useRef<() => void>(() => undefined);
  useEffect(() => {
    const mine = empty(); // this run's state: a late event of an earlier run cannot reach it
    live.current = mine;
    setView({ ...mine });
    if (!runId) return;
    let socket: WebSocket | null = null;
    let closed = false;
    let frame = 0;
    let retry = 0;
    const publish = () => {
      if (frame || closed) return;
      frame = requestAnimationFrame(() => {
        frame = 0;
        mine.version += 1;
        setView({ ...mine });
      });
    };
    publishLive.current = publish;
    const connect = () => {
      if (closed) return;
      const scheme = window.location.protocol === "https:" ? "wss" : "ws";
      socket = new WebSocket(`${scheme}://${window.location.host}${API}/runs/${runId}/stream`);
      socket.onopen = () => { mine.connected = true; publish(); };
      socket.onmessage = (message) => {
        if (closed) return;
        const event = JSON.parse(message.data);
        const s = mine;
        switch (event.kind) {
          case "snapshot": {
            Object.assign(s, fromSnapshot(event.metrics), { run: event.run, status: event.run.status,
              device: event.run.device ?? s.device,
              memoryMb: [...(event.metrics.epoch_memory_mb ?? [])].reverse().find((v) => v !== null) ?? s.memoryMb });
            if (event.boundary) s.boundary = event.boundary.boundary;
            else if (!s.boundary && drawsBoundary(event.run)) {
              // a run that ended before we came: its boundary as the last weights draw it
              api.boundary(runId, BOUNDARY_RESOLUTION).then((grid) => {
                if (closed || s.boundary) return;
                s.boundary = grid;
                publish();
              }).catch(() => undefined); // no weights yet: the stream brings it
            }
            // a GAN's newest grid, if it drew one before we came (none yet answers 409, ignored)
            if (event.run.training.task === "gan") s.samplesDrawn += 1;
            if (event.run.origin?.kind === "edit" && !s.before) {
              s.before = { steps: {}, epochs: {} }; // asked for once
              lineage(event.run.origin).then(({ steps, epochs, edits }) => {
                if (closed) return;
                Object.assign(s, { before: { steps, epochs }, edits });
                publish();
              }).catch(() => undefined); // a deleted parent: the charts start at the edit
            }
            break;
          }
          case "started":
            s.status = "running";
            s.started = { epochs: event.epochs, steps_per_epoch: event.steps_per_epoch, start: performance.now() };
            s.device = event.device;
            s.reason = event.notice ?? null; // e.g. a damaged checkpoint passed over on resume
            break;
          case "metrics":
            s.steps.step = [...(s.steps.step ?? []), ...event.step];
            s.steps.epoch = [...(s.steps.epoch ?? []), ...event.epoch];
            for (const [name, values] of Object.entries(event.values as Columns)) {
              s.steps[name] = [...(s.steps[name] ?? []), ...values];
            }
            break;
          case "epoch":
            s.epochs.step = [...(s.epochs.step ?? []), event.step];
            s.epochs.epoch = [...(s.epochs.epoch ?? []), event.epoch];
            for (const [name, value] of Object.entries(event.metrics as Record<string, number | null>)) {
              s.epochs[name] = [...(s.epochs[name] ?? []), value];
            }
            s.memoryMb = event.memory_mb ?? s.memoryMb;
            break;
          case "boundary":
            s.boundary = event.boundary;
            break;
          case "samples":
            s.samplesDrawn += 1;
            break;
          case "finished":
            s.status = event.status;
            s.reason = event.reason ?? null;
            break;
        }
        publish();
      };
      socket.onclose = () => {
        mine.connected = false;
        publish();
        if (!closed && !FINAL.has(mine.status)) retry = window.setTimeout(connect, 1000);
      };
    };
    connect();
    return () => {
      closed = true;
      socket?.close();
      window.clearTimeout(retry);
      cancelAnimationFrame(frame);
    };
  }, [runId]);
  /** What an action's answer says (e.g. a paused run stopped: no event tells it). */
  const setStatus = (status: string) => {
    const next = afterAction(live.current.status, status);
    if (next === live.current.status) return;
    live.current.status = next;
    publishLive.current();
  };
  return { ...view, setStatus };
}

/** The status to show once an action answers. The answer may be older than what the
 * stream has told meanwhile: a run asked to stop or pause answers "running" while its
 * worker winds down, and its "finished" event can come first. A final status stays; a
 * run going on is told by its "started" event, so "running" and a "queued" that a
 * "started" has overtaken are passed over. */
export function afterAction(shown: string, answer: string): string {
  if (FINAL.has(shown) || answer === "running") return shown;
  if (answer === "queued" && shown === "running") return shown;
  return answer;
}

function empty(): RunView {
  return { run: null, status: "queued", steps: {}, epochs: {}, boundary: null, samplesDrawn: 0, started: null, device: null, memoryMb: null, reason: null,
    before: null, edits: [], connected: false, version: 0 };
}
