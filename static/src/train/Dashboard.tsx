// The live dashboard of one run: status, progress and ETA, stop / pause / resume,
// loss and accuracy charts (train per step, validation per epoch), each layer's gradient
// norm per epoch (log scale), the decision boundary of a 2-D model as it forms, and a
// GAN's two players and its newest samples.
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { ApiError, api, exportUrl, type ExportFormat, type RunOrigin } from "../api/client";
import { useMeta } from "../api/meta";
import { usePolled } from "../api/usePolled";
import { useZoom, within } from "./useZoom";
import { duration, metric, percent } from "../format";
import i18n from "../i18n";
import { BoundaryView } from "./BoundaryView";
import { Chart } from "./Chart";
import { gradientLines } from "./gradients";
import { deviceLabel, statusLabel } from "./labels";
import { LiveSamples } from "./LiveSamples";
import { useTaskKind } from "../taskKinds";
import { parameterValues } from "./schemas";
import { concat, type Columns } from "./stream";
import type { RunView, SetStatus } from "./useRunStream";

const TRAIN = "#2563eb";
const VAL = "#ea580c";

/** The formats a run's weights export to, as the API lists them: a completed run's, and
 * a stopped one's once it took a step (a stop keeps the weights reached). */
const EXPORT_FORMATS = parameterValues("export_run", "fmt") as ExportFormat[];

interface Props {
  runId: string;
  view: RunView & { setStatus: SetStatus };
  onContinue: () => void; // go on as a new run with the editor's network and settings
}

/** Where a run's first weights came from, in a sentence. */
export function originText(origin: RunOrigin): string {
  const run = origin.run_id.slice(0, 8);
  const head = origin.kind === "edit" ? i18n.t("train:origin.continues", { run, step: origin.step })
    : origin.kind === "import" ? i18n.t("train:origin.startsFromImport", { run })
    : origin.epoch === null || origin.epoch === undefined ? i18n.t("train:origin.startsFrom", { run })
    : i18n.t("train:origin.startsFromEpoch", { run, epoch: origin.epoch });
  const fresh = (origin.skipped ?? []).map((s) => `${s.layer} (${s.reason})`); // the reasons are the server's
  return [head, i18n.t("train:origin.kept", { layers: (origin.loaded ?? []).join(", ") }),
    ...(fresh.length ? [i18n.t("train:origin.fresh", { layers: fresh.join("; ") })] : [])].join(" · ");
}

export function Dashboard({ runId, view, onContinue }: Props) {
  const { t } = useTranslation("train");
  const meta = useMeta();
  const [error, setError] = useState<string | null>(null);
  const [smoothing, setSmoothing] = useState(0.6);
  const [log, setLog] = useState(false);
  const { steps, epochs, started, status } = view;
  const step = steps.step?.length ? (steps.step[steps.step.length - 1] ?? 0) : 0;
  const last = (c: (number | null)[] | undefined) => (c?.length ? c[c.length - 1] : null);
  // the total: as the run started, or (a run opened at rest sends no "started") as it was asked for
  const epochsTotal = started?.epochs ?? ((view.run?.training as { epochs?: number } | undefined)?.epochs ?? 0);
  const total = started ? started.epochs * started.steps_per_epoch : 0;
  const epochsDone = epochs.epoch?.length ? (last(epochs.epoch) ?? -1) + 1 : 0;
  // completed is all done; otherwise by steps where their total is known, else by epochs
  const progress = status === "completed" ? 1 : total ? Math.min(1, step / total)
    : epochsTotal ? Math.min(1, epochsDone / epochsTotal) : 0;
  // the speed since the run (last) started or resumed, so a resumed run's ETA is not
  // made from steps it trained before
  const elapsed = started ? (performance.now() - started.start) / 1000 : 0;
  const since = total && started ? step - started.fromStep : 0;
  const eta = since > 0 && progress < 1 ? (elapsed / since) * (total - step) : NaN;
  const epoch = status === "completed" && epochsTotal ? epochsTotal : (last(steps.epoch) ?? -1) + 1;
  const act = async (action: "stop" | "pause" | "resume") => {
    try {
      setError(null);
      const run = await api.action(runId, action);
      view.setStatus(run.status ?? status, action === "resume");
    } catch (e) {
      setError(e instanceof ApiError ? e.detail : String(e));
    }
  };
  // paused, interrupted, or failed for the disk or its worker (the server's rules, /meta)
  const resumable = (meta.resumable_statuses as string[]).includes(status)
    || (status === "failed" && (meta.resumable_failures as string[]).includes(view.failure ?? ""));
  const hasAccuracy = !!steps.train_accuracy;
  // once training ended, what the test split says (not the last batch's training figures)
  const tested = view.test.test_loss !== undefined;
  // the charts its task kind draws (a GAN's: its two players and its newest samples)
  const charts = new Set(useTaskKind(view.run?.training.task)?.charts);
  const gan = charts.has("gan_losses");
  // an edited run's charts begin with the runs it continues
  const all = (own: Columns, before?: Columns) => (before?.step?.length ? concat(before, own) : own);
  const stepNames = Object.keys(steps).filter((name) => name !== "step" && name !== "epoch").sort();
  const [zoom, zoomTo] = useZoom(runId, stepNames);
  // zoomed: the range's rows as fetched (the ones held until they come), else every row held
  // (an edited run's parents' rows in the range as held: the fetch asks for its own)
  const trainRows = !zoom ? all(steps, view.before?.steps)
    : zoom.steps ? all(zoom.steps, view.before?.steps && within(view.before.steps, zoom))
    : within(all(steps, view.before?.steps), zoom);
  const epochRows = zoom ? within(all(epochs, view.before?.epochs), zoom) : all(epochs, view.before?.epochs);
  const version = zoom ? `${view.version}:${zoom.id}` : view.version;
  const gradients = gradientLines(epochRows, (view.run?.spec.layers ?? []).map((layer) => layer.id));
  return (
    <section className="dashboard" aria-label={t("dashboard.label")} data-testid="dashboard">
      <header>
        <span className={`status-chip status-${status}`} data-testid="run-status">{statusLabel(status)}</span>
        {status === "queued" && <QueuePlace runId={runId} />}
        <span data-testid="run-progress">{epochsTotal ? t("dashboard.progressOf", { epoch, epochs: epochsTotal, step })
          : t("dashboard.progress", { epoch, step })}</span>
        <progress max={1} value={progress} aria-label={t("dashboard.progressLabel")} />
        <span className="muted eta" data-testid="run-eta">{status === "running" ? t("dashboard.eta", { time: duration(eta) }) : ""}</span>
        {view.device && <span className="muted" data-testid="run-device">{t("dashboard.device", { device: deviceLabel(view.device) })}</span>}
        {view.memoryMb !== null && <span className="muted" data-testid="run-memory" title={t("dashboard.memoryTitle")}>
          {t("dashboard.memory", { memory: Math.round(view.memoryMb) })}</span>}
        <span data-testid="run-metrics">{(tested ? [
          t("dashboard.testLoss", { loss: metric(view.test.test_loss) }),
          ...(view.test.test_accuracy !== undefined ? [t("dashboard.testAccuracy", { accuracy: percent(view.test.test_accuracy) })] : []),
        ] : [
          t("dashboard.loss", { loss: metric(last(steps.train_loss)) }),
          ...(hasAccuracy ? [t("dashboard.accuracy", { accuracy: percent(last(steps.train_accuracy) ?? 0) })] : []),
        ]).concat([
          ...(gan ? [t("dashboard.gan", { d: metric(last(steps.train_discriminator)), g: metric(last(steps.train_generator)) })] : []),
        ]).join(" · ")}</span>
        <span className="spacer" />
        <button type="button" onClick={() => act("pause")} disabled={status !== "running"}>{t("dashboard.pause")}</button>
        <button type="button" onClick={() => act("resume")} disabled={!resumable}>{t("dashboard.resume")}</button>
        <button type="button" onClick={() => act("stop")} disabled={!["running", "queued", "paused"].includes(status)}>{t("dashboard.stop")}</button>
        <button type="button" onClick={onContinue} disabled={!(meta.continuable_statuses as string[]).includes(status)}
          title={t("dashboard.continueTitle")}>
          {t("dashboard.continue")}</button>
        <label className="muted" title={t("dashboard.smoothingTitle")}>{t("dashboard.smoothing")}{" "}
          <input type="range" min={0} max={0.99} step={0.01} value={smoothing} aria-label={t("dashboard.smoothing")}
            onChange={(e) => setSmoothing(Number(e.target.value))} /></label>
        <label className="muted"><input type="checkbox" checked={log} onChange={(e) => setLog(e.target.checked)} />{" "}{t("dashboard.logLoss")}</label>
        {!view.connected && status === "running" && <span className="muted">{t("dashboard.reconnecting")}</span>}
        {view.thinned && !zoom && <span className="muted" data-testid="thinned">{t("dashboard.thinned", view.thinned)}</span>}
        {zoom && <span className="muted" data-testid="zoomed">{t("dashboard.zoomed", { from: zoom.from, to: zoom.to })}{" "}
          <button type="button" className="link" onClick={() => zoomTo(null)}>{t("dashboard.showAll")}</button></span>}
        {(status === "completed" || (status === "stopped" && step > 0)) && (
          <span className="exports" data-testid="exports">{t("dashboard.export")}{" "}
            {EXPORT_FORMATS.map((fmt) => (
              <a key={fmt} href={exportUrl(runId, fmt)} download>{fmt}</a>
            ))}
          </span>
        )}
      </header>
      {view.run?.origin && <p className="muted" data-testid="run-origin">{originText(view.run.origin)}</p>}
      {/* one line kept for what an action or the run's end says: the charts never move for it */}
      <p className={`run-line ${error || ["failed", "diverged"].includes(status) ? "error" : "muted"}`}
        data-testid="run-line" role={error ? "alert" : "status"}>{error ?? view.reason ?? ""}</p>
      {view.notes.map((note) => <p key={note} className="note" role="note" data-testid="run-note">{note}</p>)}
      <div className={gan ? "charts gan" : "charts"} title={t("dashboard.zoomHint")}>
        <Chart title={t("charts.loss")} testId="loss-chart" version={version} onZoom={zoomTo} log={log} smoothing={smoothing} marks={view.edits} series={[
          { label: t("charts.train"), x: trainRows.step ?? [], y: trainRows.train_loss ?? [], colour: TRAIN },
          { label: t("charts.validation"), x: epochRows.step ?? [], y: epochRows.val_loss ?? [], colour: VAL, points: true },
        ]} />
        {hasAccuracy && (
          <Chart title={t("charts.accuracy")} testId="accuracy-chart" version={version} onZoom={zoomTo} smoothing={smoothing} marks={view.edits} series={[
            { label: t("charts.train"), x: trainRows.step ?? [], y: trainRows.train_accuracy ?? [], colour: TRAIN },
            { label: t("charts.validation"), x: epochRows.step ?? [], y: epochRows.val_accuracy ?? [], colour: VAL, points: true },
          ]} />
        )}
        {steps.train_kl && (
          <Chart title={t("charts.vaeTerms")} testId="terms-chart" version={version} onZoom={zoomTo} smoothing={smoothing} marks={view.edits} series={[
            { label: t("charts.reconstruction"), x: trainRows.step ?? [], y: trainRows.train_reconstruction ?? [], colour: TRAIN },
            { label: t("charts.kl"), x: trainRows.step ?? [], y: trainRows.train_kl ?? [], colour: VAL },
          ]} />
        )}
        {charts.has("samples") && <LiveSamples key={runId} runId={runId} drawn={view.samplesDrawn} />}
        {gan && (
          <Chart title={t("charts.ganLosses")} testId="gan-loss-chart" version={version} onZoom={zoomTo} log={log} smoothing={smoothing}
            marks={view.edits} series={[
              { label: t("charts.discriminator"), x: trainRows.step ?? [], y: trainRows.train_discriminator ?? [], colour: TRAIN },
              { label: t("charts.generator"), x: trainRows.step ?? [], y: trainRows.train_generator ?? [], colour: VAL },
            ]} />
        )}
        {charts.has("gan_d") && (
          <Chart title={t("charts.ganD")} testId="gan-d-chart" version={version} onZoom={zoomTo} smoothing={smoothing}
            marks={view.edits} series={[
              { label: t("charts.dReal"), x: trainRows.step ?? [], y: trainRows.train_d_real ?? [], colour: TRAIN },
              { label: t("charts.dFake"), x: trainRows.step ?? [], y: trainRows.train_d_fake ?? [], colour: VAL },
            ]} />
        )}
        {gradients.length > 0 && (
          <Chart title={t("charts.gradients")} testId="gradient-chart" version={version} log
            marks={view.edits} series={gradients.map((line) => (
              { label: line.layer, x: epochRows.step ?? [], y: line.y, colour: line.colour, points: true }))} />
        )}
        {view.boundary && <BoundaryView grid={view.boundary} />}
      </div>
    </section>
  );
}

/** A queued run's place in the queue, read again every two seconds (users take turns on
 * a server with accounts, so it can move either way). */
function QueuePlace({ runId }: { runId: string }) {
  const { t } = useTranslation("train");
  const place = usePolled(() => api.run(runId).then((run) => run.queue_position ?? null), 2000, runId);
  return place === null || place === undefined ? null
    : <span className="muted" data-testid="queue-place">{t("dashboard.queuePlace", { place })}</span>;
}
