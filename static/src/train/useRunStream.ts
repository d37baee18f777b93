// Follow a run over its websocket: the snapshot, then metric blocks, epochs, boundaries,
// a GAN's sample grids and the final event (decoded in stream.ts). Reconnects by itself;
// the next snapshot fills any gap.
import { useEffect, useRef, useState } from "react";
import type { MetaOut, RunOrigin, RunOut } from "../api/client";
import { api, streamUrl } from "../api/client";
import { useMeta } from "../api/meta";
import { kindOf, useTaskKinds } from "../taskKinds";
import { apply, concat, decode, emptyState, rowsOf, type Columns, type StreamState } from "./stream";

export { concat, type Columns } from "./stream";

export interface RunView extends StreamState {
  // the runs this one continues after edits (oldest first), each cut at its edit step
  before: { steps: Columns; epochs: Columns } | null;
  edits: number[]; // the steps where the edits happened
  connected: boolean;
  version: number; // bumped on every change, for charts
}

/** A run that is not training now: if it has a boundary, the stream will send none, and
 * the snapshot has none once the run has ended. */
function atRest(run: RunOut): boolean {
  return !["queued", "running"].includes(run.status ?? "queued");
}

/** The rows of the runs an edited run goes on from, parent first, each up to the step
 * where the next one took over (at most 8 generations). */
async function lineage(origin: RunOrigin | null | undefined) {
  let steps: Columns = { step: [], epoch: [] };
  let epochs: Columns = { step: [], epoch: [] };
  const edits: number[] = [];
  for (let o = origin, depth = 0; o?.kind === "edit" && depth < 8; depth += 1) {
    const { run: parent, metrics } = await api.snapshot(o.run_id);
    const part = rowsOf(metrics);
    const upTo = (columns: Columns, edit: number) => {
      const keep = (columns.step ?? []).map((step) => step !== null && step <= edit);
      return Object.fromEntries(Object.entries(columns).map(([k, v]) => [k, v.filter((_, i) => keep[i])]));
    };
    steps = concat(upTo(part.steps, o.step ?? 0), steps);
    epochs = concat(upTo(part.epochs, o.step ?? 0), epochs);
    edits.unshift(o.step ?? 0);
    o = parent.origin;
  }
  return { steps, epochs, edits };
}

export type SetStatus = (status: string, resumed?: boolean) => void;

export function useRunStream(runId: string | null): RunView & { setStatus: SetStatus } {
  const meta = useMeta();
  const kinds = useTaskKinds();
  const [view, setView] = useState<RunView>(() => empty());
  const live = useRef<RunView>(empty()); // the current run's state, changed in place
  const publishLive = useRef<() => void>(() => undefined);
  const reopen = useRef<() => void>(() => undefined); // follow a run that goes on again
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
    /** What a snapshot asks for besides itself: a boundary, a GAN's grid, the runs before. */
    const followUp = (run: RunOut) => {
      if (!mine.boundary && atRest(run)) {
        // a run that ended before we came: its boundary (if it has the view) as the last
        // weights draw it
        api.views(runId).then(({ views }) => (views.some((v) => v.name === "boundary")
          ? api.boundary(runId, meta.boundary_resolution) : null)).then((grid) => {
          if (!grid || closed || mine.boundary) return;
          mine.boundary = grid;
          publish();
        }).catch(() => undefined); // no weights yet: the stream brings it
      }
      // a GAN's newest grid, if it drew one before we came (none yet answers 409, ignored)
      if (kindOf(kinds, run.training.task)?.charts.includes("samples")) mine.samplesDrawn += 1;
      if (run.origin?.kind === "edit" && !mine.before) {
        mine.before = { steps: {}, epochs: {} }; // asked for once
        lineage(run.origin).then(({ steps, epochs, edits }) => {
          if (closed) return;
          Object.assign(mine, { before: { steps, epochs }, edits });
          publish();
        }).catch(() => undefined); // a deleted parent: the charts start at the edit
      }
    };
    const connect = () => {
      if (closed) return;
      socket = new WebSocket(streamUrl(runId));
      socket.onopen = () => { mine.connected = true; publish(); };
      socket.onmessage = (event) => {
        if (closed) return;
        const message = decode(event.data);
        apply(mine, message, performance.now());
        if (message.kind === "snapshot") followUp(message.run);
        publish();
      };
      socket.onclose = () => {
        mine.connected = false;
        publish();
        // a paused or interrupted run may go on: its stream is reopened (the server keeps
        // it open and sends the resumed run's events)
        if (!closed && !meta.final_statuses.includes(mine.status as MetaOut["final_statuses"][number])) {
          retry = window.setTimeout(connect, 1000);
        }
      };
    };
    connect();
    // a failed run that resumes: its stream had ended with the failure
    reopen.current = () => {
      if (closed || (socket && socket.readyState !== WebSocket.CLOSED)) return;
      window.clearTimeout(retry);
      connect();
    };
    return () => {
      closed = true;
      socket?.close();
      window.clearTimeout(retry);
      cancelAnimationFrame(frame);
    };
  }, [runId]); // eslint-disable-line react-hooks/exhaustive-deps
  /** What an action's answer says (e.g. a paused run stopped: no event tells it); a
   * resume's answer is taken as it is, even over a failed status, and the stream reopens. */
  const setStatus: SetStatus = (status, resumed = false) => {
    const next = resumed ? status : afterAction(live.current.status, status, meta);
    if (next === live.current.status) return;
    live.current.status = next;
    publishLive.current();
    if (resumed) reopen.current();
  };
  return { ...view, setStatus };
}

/** The status to show once an action answers. The answer may be older than what the
 * stream has told meanwhile: a run asked to stop or pause answers "running" while its
 * worker winds down, and its "finished" event can come first. A final status stays; a
 * run going on is told by its "started" event, so "running" and a "queued" that a
 * "started" has overtaken are passed over. */
export function afterAction(shown: string, answer: string, meta: MetaOut): string {
  if ((meta.final_statuses as string[]).includes(shown) || answer === "running") return shown;
  if (answer === "queued" && shown === "running") return shown;
  return answer;
}

function empty(): RunView {
  return { ...emptyState(), before: null, edits: [], connected: false, version: 0 };
}
