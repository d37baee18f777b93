// A new sweep of the network in the editor with the training settings as they are now:
// the method, the parameters (a path and its values or range per row), the metric that
// ranks the trials; the server's answer, when it refuses one, shown as it gives it. What
// is typed is kept for the session (useDraft), so leaving the tab loses nothing.
import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { ApiError, api, type NetworkSpec, type SweepOut, type SweepSpec } from "../api/client";
import { METRICS, gridSize, toParameters, type Method } from "./params";
import { forRun } from "../train/formLayout";
import { ParamRows } from "./ParamRows";
import { useDraft, type Draft } from "./useDraft";

interface Props {
  spec: NetworkSpec;
  training: Record<string, unknown> | null;
  suggestions: string[];
  onCreated: (sweep: SweepOut) => void;
  onCancel: () => void;
}

const OTHER = "";

export function SweepForm({ spec, training, suggestions, onCreated, onCancel }: Props) {
  const { t } = useTranslation("sweeps");
  const [draft, update] = useDraft();
  const { name, method, rows, trials, seed, metricChoice, typedMetric, mode, earlyStopping, repeats } = draft;
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const copies = Math.max(1, Number(repeats) || 1);
  const runs = (method === "grid" ? gridSize(rows) : Number(trials) || 0) * copies;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!training) return;
    const sweep: SweepSpec = {
      method, parameters: toParameters(rows, method), seed: Number(seed) || 0,
      metric: metricChoice === OTHER ? typedMetric.trim() : metricChoice, mode,
      early_stopping: earlyStopping, repeats: copies,
      ...(method !== "grid" ? { trials: Number(trials) } : {}),
    };
    setError(null);
    setBusy(true);
    try {
      const created = await api.createSweep(spec, forRun(training), sweep, name.trim() || null);
      update({ name: "" }); // a name is one sweep's; the rest stays for the next
      onCreated(created);
    } catch (err) {
      setError(err instanceof ApiError
        ? [err.detail, ...err.issues.map((i) => [i.field, i.message].filter(Boolean).join(": "))].join(" — ")
        : String(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="sweep-form" onSubmit={submit} aria-label={t("form.label")} data-testid="sweep-form">
      <p className="muted">{t("form.intro", { network: spec.name })}</p>
      <div className="sweep-settings">
        <label>{t("form.name")} <input value={name} onChange={(e) => update({ name: e.target.value })}
          placeholder={t("form.namePlaceholder", { network: spec.name })} /></label>
        <label>{t("form.method")} <select value={method} onChange={(e) => update({ method: e.target.value as Method })}>
          {(["grid", "random", "tpe", "cmaes"] as const).map((m) => <option key={m} value={m}>{t(`form.${m}`)}</option>)}
        </select></label>
        {method !== "grid" && (
          <label>{t("form.trials")} <input type="number" min={1} max={256} value={trials}
            onChange={(e) => update({ trials: e.target.value })} /></label>
        )}
        <label>{t("form.seed")} <input type="number" min={0} value={seed} onChange={(e) => update({ seed: e.target.value })} /></label>
        <label>{t("form.metric")} <select value={metricChoice} onChange={(e) => update({ metricChoice: e.target.value })}>
          {METRICS.map((m) => <option key={m} value={m}>{m}</option>)}
          <option value={OTHER}>{t("form.otherMetric")}</option>
        </select></label>
        {metricChoice === OTHER && (
          <input aria-label={t("form.typedMetric")} placeholder={t("form.typedMetricPlaceholder")} value={typedMetric}
            onChange={(e) => update({ typedMetric: e.target.value })} />
        )}
        <label>{t("form.mode")} <select value={mode} onChange={(e) => update({ mode: e.target.value as SweepSpec["mode"] })}>
          {(["auto", "min", "max"] as const).map((m) => <option key={m} value={m}>{t(`form.modes.${m}`)}</option>)}
        </select></label>
        <label title={t("form.earlyStoppingHint")}>{t("form.earlyStopping")} <select value={earlyStopping}
          onChange={(e) => update({ earlyStopping: e.target.value as Draft["earlyStopping"] })}>
          {(["none", "median", "hyperband"] as const).map((m) => <option key={m} value={m}>{t(`form.stopping.${m}`)}</option>)}
        </select></label>
        <label title={t("form.repeatsHint")}>{t("form.repeats")} <input type="number" min={1} max={10} value={repeats}
          onChange={(e) => update({ repeats: e.target.value })} /></label>
      </div>
      <ParamRows rows={rows} method={method} suggestions={suggestions} onChange={(next) => update({ rows: next })} />
      <p className="sweep-count" data-testid="sweep-count" data-runs={runs}>
        {method === "grid" ? t("form.gridCount", { count: runs })
          : method === "random" ? t("form.randomCount", { count: runs }) : t("form.searchCount", { count: runs })}</p>
      {error && <p className="error" role="alert" data-testid="sweep-error">{error}</p>}
      {!training && <p className="muted">{t("form.noTraining")}</p>}
      <div className="sweep-actions">
        <button type="submit" className="primary" disabled={!training || busy || runs < 1}>{t("form.start")}</button>
        <button type="button" onClick={onCancel}>{t("form.cancel")}</button>
      </div>
    </form>
  );
}
