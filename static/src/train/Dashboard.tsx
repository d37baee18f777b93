// The live dashboard of one run: status, progress and ETA, stop / pause / resume,
// loss and accuracy charts (train per step, validation per epoch), the decision
// boundary of a 2-D model as it forms, and a GAN's two players and its newest samples.
import { useState } from "react";
import { API, ApiError, api, type RunOrigin } from "../api/client";
import { duration, metric, percent } from "../format";
import { BoundaryView } from "./BoundaryView";
import { Chart } from "./Chart";
import { LiveSamples } from "./LiveSamples";
import { concat, type Columns, type RunView } from "./useRunStream";

const TRAIN = "#2563eb";
const VAL = "#ea580c";

const CONTINUES = ["paused", "interrupted", "stopped", "completed"];

interface Props {
  runId: string;
  view: RunView & { setStatus: (status: string) => void };
  onContinue: () => void; // go on as a new run with the editor's network and settings
}

/** Where a run's first weights came from, in a sentence. */
export function originText(origin: RunOrigin): string {
  const source = origin.run_id.slice(0, 8);
  const head = origin.kind === "edit" ? `Continues run ${source} from step ${origin.step}`
    : `Starts from the weights of run ${source}${origin.epoch === null || origin.epoch === undefined ? "" : ` (epoch ${origin.epoch})`}`;
  const fresh = (origin.skipped ?? []).map((s) => `${s.layer} (${s.reason})`);
  return `${head} · kept ${(origin.loaded ?? []).join(", ")}${fresh.length ? ` · fresh: ${fresh.join("; ")}` : ""}`;
}

export function Dashboard({ runId, view, onContinue }: Props) {
  const [error, setError] = useState<string | null>(null);
  const [smoothing, setSmoothing] = useState(0.6);
  const [log, setLog] = useState(false);
  const { steps, epochs, started, status } = view;
  const step = steps.step?.length ? (steps.step[steps.step.length - 1] ?? 0) : 0;
  const total = started ? started.epochs * started.steps_per_epoch : 0;
  const progress = total ? Math.min(1, step / total) : 0;
  const elapsed = started ? (performance.now() - started.start) / 1000 : 0;
  const eta = progress > 0 && progress < 1 ? (elapsed / progress) * (1 - progress) : NaN;
  const last = (c: (number | null)[] | undefined) => (c?.length ? c[c.length - 1] : null);
  const act = async (action: "stop" | "pause" | "resume") => {
    try {
      setError(null);
      const run = await api.action(runId, action);
      view.setStatus(run.status);
    } catch (e) {
      setError(e instanceof ApiError ? e.detail : String(e));
    }
  };
  const hasAccuracy = !!steps.train_accuracy;
  const gan = view.run?.training.task === "gan" || !!steps.train_d_real;
  // an edited run's charts begin with the runs it continues
  const all = (own: Columns, before?: Columns) => (before?.step?.length ? concat(before, own) : own);
  const trainRows = all(steps, view.before?.steps);
  const epochRows = all(epochs, view.before?.epochs);
  return (
    <section className="dashboard" aria-label="Training dashboard" data-testid="dashboard">
      <header>
        <span className={`status-chip status-${status}`} data-testid="run-status">{status}</span>
        <span>epoch {(last(steps.epoch) ?? -1) + 1}{started ? ` / ${started.epochs}` : ""} · step {step}</span>
        <progress max={1} value={progress} aria-label="progress" />
        <span className="muted">{status === "running" ? `ETA ${duration(eta)}` : ""}</span>
        <span>loss {metric(last(steps.train_loss))}{hasAccuracy ? ` · acc ${percent(last(steps.train_accuracy) ?? 0)}` : ""}
          {gan ? ` · D ${metric(last(steps.train_discriminator))} · G ${metric(last(steps.train_generator))}` : ""}</span>
        <span className="spacer" />
        <button type="button" onClick={() => act("pause")} disabled={status !== "running"}>Pause</button>
        <button type="button" onClick={() => act("resume")} disabled={!["paused", "interrupted"].includes(status)}>Resume</button>
        <button type="button" onClick={() => act("stop")} disabled={!["running", "queued", "paused"].includes(status)}>Stop</button>
        <button type="button" onClick={onContinue} disabled={!CONTINUES.includes(status)}
          title="Go on from here as a new run, with the network and training settings now in the editor: layers whose id and shapes still match keep their weights">
          Continue with edits</button>
        <label className="muted" title="Exponential moving average of the training curves">smoothing{" "}
          <input type="range" min={0} max={0.99} step={0.01} value={smoothing} aria-label="smoothing"
            onChange={(e) => setSmoothing(Number(e.target.value))} /></label>
        <label className="muted"><input type="checkbox" checked={log} onChange={(e) => setLog(e.target.checked)} /> log loss</label>
        {!view.connected && status === "running" && <span className="muted">reconnecting…</span>}
        {status === "completed" && (
          <span className="exports">export{" "}
            {(["pytorch", "safetensors", "onnx", "torchscript"] as const).map((fmt) => (
              <a key={fmt} href={`${API}/runs/${runId}/export/${fmt}`} download>{fmt}</a>
            ))}
          </span>
        )}
      </header>
      {error && <p className="error" role="alert">{error}</p>}
      {view.run?.origin && <p className="muted" data-testid="run-origin">{originText(view.run.origin)}</p>}
      {view.reason && !error && (
        <p className={["failed", "diverged"].includes(status) ? "error" : "muted"} role="status">{view.reason}</p>
      )}
      <div className={gan ? "charts gan" : "charts"}>
        <Chart title="loss" testId="loss-chart" version={view.version} log={log} smoothing={smoothing} marks={view.edits} series={[
          { label: "train", x: trainRows.step ?? [], y: trainRows.train_loss ?? [], colour: TRAIN },
          { label: "validation", x: epochRows.step ?? [], y: epochRows.val_loss ?? [], colour: VAL, points: true },
        ]} />
        {hasAccuracy && (
          <Chart title="accuracy" testId="accuracy-chart" version={view.version} smoothing={smoothing} marks={view.edits} series={[
            { label: "train", x: trainRows.step ?? [], y: trainRows.train_accuracy ?? [], colour: TRAIN },
            { label: "validation", x: epochRows.step ?? [], y: epochRows.val_accuracy ?? [], colour: VAL, points: true },
          ]} />
        )}
        {steps.train_kl && (
          <Chart title="VAE loss terms" testId="terms-chart" version={view.version} smoothing={smoothing} marks={view.edits} series={[
            { label: "reconstruction", x: trainRows.step ?? [], y: trainRows.train_reconstruction ?? [], colour: TRAIN },
            { label: "KL", x: trainRows.step ?? [], y: trainRows.train_kl ?? [], colour: VAL },
          ]} />
        )}
        {gan && <LiveSamples key={runId} runId={runId} drawn={view.samplesDrawn} />}
        {gan && (
          <Chart title="GAN losses" testId="gan-loss-chart" version={view.version} log={log} smoothing={smoothing}
            marks={view.edits} series={[
              { label: "discriminator", x: trainRows.step ?? [], y: trainRows.train_discriminator ?? [], colour: TRAIN },
              { label: "generator", x: trainRows.step ?? [], y: trainRows.train_generator ?? [], colour: VAL },
            ]} />
        )}
        {gan && (
          <Chart title="D(real) vs D(fake)" testId="gan-d-chart" version={view.version} smoothing={smoothing}
            marks={view.edits} series={[
              { label: "D(real)", x: trainRows.step ?? [], y: trainRows.train_d_real ?? [], colour: TRAIN },
              { label: "D(fake)", x: trainRows.step ?? [], y: trainRows.train_d_fake ?? [], colour: VAL },
            ]} />
        )}
        {view.boundary && <BoundaryView grid={view.boundary} />}
      </div>
    </section>
  );
}
