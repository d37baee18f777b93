// One sweep: its trials' table, the parallel-coordinates plot, their validation-loss
// curves overlaid and what mattered, read again every 2 s while it runs.
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { ApiError, api, type SweepOut, type SweepSpec } from "../api/client";
import { metric } from "../format";
import { Chart, type Series } from "../train/Chart";
import { maximizes, scoreColours } from "./axes";
import { countsLabel } from "./labels";
import { ParallelCoordinates } from "./ParallelCoordinates";
import { TrialsTable } from "./TrialsTable";
import { useTrialCurves } from "./useTrialCurves";
import { WhatMattered } from "./WhatMattered";
import { trialColour } from "./trialColours";
import { useThemeColours } from "../theme";

interface Props {
  sweepId: string;
  onOpen: (runId: string) => void;
  onChanged: () => void; // stopped or deleted: the list is read again
  onDeleted: () => void;
}

export function SweepView({ sweepId, onOpen, onChanged, onDeleted }: Props) {
  const { t } = useTranslation("sweeps");
  const [sweep, setSweep] = useState<SweepOut | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [hovered, setHovered] = useState<number | null>(null);
  const [picked, setPicked] = useState<number | null>(null);
  const running = sweep?.status === "running" || sweep === null;
  useEffect(() => {
    let live = true;
    const load = () => api.sweep(sweepId).then((s) => live && setSweep(s))
      .catch((e: unknown) => live && setError(e instanceof ApiError ? e.detail : String(e)));
    void load();
    const timer = running ? window.setInterval(load, 2000) : undefined;
    return () => { live = false; window.clearInterval(timer); };
  }, [sweepId, running]);
  const { curves, version } = useTrialCurves(sweep?.trials ?? []);
  const dark = useThemeColours().theme === "dark";
  if (!sweep) return <p className="muted">{error ?? t("view.loading")}</p>;

  const act = async (action: () => Promise<unknown>, after: () => void) => {
    setError(null);
    try {
      await action();
      after();
    } catch (e) {
      setError(e instanceof ApiError ? e.detail : String(e));
    }
  };
  const paths = Object.keys(sweep.sweep.parameters);
  const colours = scoreColours(sweep.trials.map((tr) => tr.score), maximizes(sweep.sweep as SweepSpec), dark);
  const drawn = sweep.trials.filter((tr) => curves.has(tr.run_id));
  const series: Series[] = drawn.map((tr) => ({
    label: t("view.curve", { number: tr.number }), x: curves.get(tr.run_id)!.epochs, y: curves.get(tr.run_id)!.loss,
    colour: trialColour(tr.number, dark), points: true,
  }));
  const lit = hovered ?? picked;
  const focus = drawn.findIndex((tr) => tr.number === lit); // the lit trial's curve stands out
  const pick = (trial: number) => setPicked((p) => (p === trial ? null : trial));
  return (
    <section className="sweep-view" aria-label={t("view.label", { name: sweep.name })} data-testid="sweep-view"
      data-status={sweep.status}>
      <SweepHeader sweep={sweep} running={running} onOpen={onOpen}
        onStop={() => act(async () => setSweep(await api.stopSweep(sweepId)), onChanged)}
        onResume={() => act(async () => setSweep(await api.resumeSweep(sweepId)), onChanged)}
        onDelete={() => act(() => api.deleteSweep(sweepId), onDeleted)} />
      {error && <p className="error" role="alert">{error}</p>}
      <div className="sweep-results">
        <div className="trials-box">
          <TrialsTable trials={sweep.trials} paths={paths} metricName={sweep.metric} bestRunId={sweep.best_run_id}
            lit={lit} onHover={setHovered} onPick={pick} onOpen={onOpen} />
        </div>
        <div className="sweep-plots">
          <div className="pc-box">
            <ParallelCoordinates trials={sweep.trials} paths={paths} metricName={sweep.metric} colours={colours}
              lit={lit} onHover={setHovered} onPick={pick} />
          </div>
          {series.length ? (
            <Chart key={series.map((s) => s.colour).join()} title={t("view.curves")} testId="sweep-curves" series={series}
              xLabel={t("view.epoch")} version={version} focus={focus < 0 ? null : focus} />
          ) : <div className="chart chart-waiting muted">{t("view.noCurves")}</div>}
          <WhatMattered sweep={sweep} />
        </div>
      </div>
    </section>
  );
}

interface HeaderProps {
  sweep: SweepOut;
  running: boolean;
  onOpen: (runId: string) => void;
  onStop: () => void;
  onResume: () => void;
  onDelete: () => void;
}

/** The sweep's name, status, counts and best score, and what can be done with it. */
function SweepHeader({ sweep, running, onOpen, onStop, onResume, onDelete }: HeaderProps) {
  const { t } = useTranslation("sweeps");
  const resumable = sweep.trials.some((tr) => tr.status === "paused" || tr.status === "interrupted");
  return (
    <header>
      <h3>{sweep.name}</h3>
      <span className={`status-chip status-${running ? "running" : "completed"}`} data-testid="sweep-status">
        {t(`status.${sweep.status}`)}</span>
      <span className="muted" data-testid="sweep-counts">{countsLabel(sweep.counts)}</span>
      {sweep.best_run_id && (
        <span>{t("view.best", { metric: sweep.metric, score: metric(sweep.best_score) })}{" "}
          <button type="button" onClick={() => onOpen(sweep.best_run_id!)}>{t("view.openBest")}</button></span>
      )}
      <span className="spacer" />
      <button type="button" disabled={!running} onClick={onStop}>{t("view.stop")}</button>
      <button type="button" disabled={!resumable} title={t("view.resumeTitle")} onClick={onResume}>{t("view.resume")}</button>
      <DeleteButton disabled={running} runs={sweep.trials.length} onDelete={onDelete} />
    </header>
  );
}

/** Delete, asked twice in place (it removes the trials' runs too); no dialog. */
function DeleteButton({ disabled, runs, onDelete }: { disabled: boolean; runs: number; onDelete: () => void }) {
  const { t } = useTranslation("sweeps");
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return (
      <button type="button" disabled={disabled} title={disabled ? t("view.deleteRunning") : undefined}
        onClick={() => setAsking(true)}>{t("view.delete")}</button>
    );
  }
  return (
    <span className="confirm">
      <button type="button" className="danger" onClick={() => { setAsking(false); onDelete(); }}>
        {t("view.deleteConfirm", { count: runs })}</button>
      <button type="button" onClick={() => setAsking(false)}>{t("view.cancel")}</button>
    </span>
  );
}
