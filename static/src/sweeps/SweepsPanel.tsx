// The sweeps tab: the sweeps, newest first (read again every 3 s while one runs), above
// the one chosen or the form for a new one.
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, type NetworkSpec, type SweepSummary } from "../api/client";
import { metric } from "../format";
import { currentLang } from "../i18n";
import { countsLabel } from "./labels";
import { SweepForm } from "./SweepForm";
import { SweepView } from "./SweepView";

interface Props {
  spec: NetworkSpec;
  training: Record<string, unknown> | null;
  suggestions: string[];
  selected: string | null;
  onSelect: (sweepId: string | null) => void;
  onOpen: (runId: string) => void;
}

export function SweepsPanel({ spec, training, suggestions, selected, onSelect, onOpen }: Props) {
  const { t } = useTranslation("sweeps");
  const [sweeps, setSweeps] = useState<SweepSummary[]>([]);
  const [creating, setCreating] = useState(selected === null);
  const [reads, setReads] = useState(0); // bumped to read the list again at once
  const running = sweeps.some((s) => s.status === "running");
  useEffect(() => {
    let live = true;
    const load = () => api.sweeps().then((r) => live && setSweeps(r.sweeps)).catch(() => undefined);
    void load();
    const timer = running ? window.setInterval(load, 3000) : undefined;
    return () => { live = false; window.clearInterval(timer); };
  }, [running, reads]);
  const reread = () => setReads((n) => n + 1);
  const when = new Intl.DateTimeFormat(currentLang(), { dateStyle: "short", timeStyle: "short" });
  return (
    <section className="sweeps-panel" aria-label={t("panel.label")} data-testid="sweeps-panel">
      <div className="sweeps-list">
        <button type="button" className="primary" onClick={() => setCreating(true)} disabled={creating}>
          {t("panel.new")}</button>
        {sweeps.length === 0 ? <p className="muted">{t("panel.none")}</p> : (
          <div className="sweeps-table-box"><table className="sweeps-table" data-testid="sweeps-table">
            <thead><tr><th>{t("panel.name")}</th><th>{t("panel.method")}</th><th>{t("panel.started")}</th>
              <th>{t("panel.status")}</th><th>{t("panel.trials")}</th><th>{t("panel.best")}</th></tr></thead>
            <tbody>
              {sweeps.map((s) => (
                <tr key={s.id} className={s.id === selected && !creating ? "current" : ""} data-sweep={s.id}>
                  <td><button type="button" className="link" onClick={() => { setCreating(false); onSelect(s.id); }}>
                    {s.name}</button></td>
                  <td>{t(`panel.methods.${s.method}`)}</td>
                  <td>{when.format(new Date(s.created_at))}</td>
                  <td><span className={`status-chip status-${s.status === "running" ? "running" : "completed"}`}>
                    {t(`status.${s.status}`)}</span></td>
                  <td>{countsLabel(s.counts)}</td>
                  <td>{s.best_score === null ? "–" : t("panel.score", { metric: s.metric, score: metric(s.best_score) })}</td>
                </tr>
              ))}
            </tbody>
          </table></div>
        )}
      </div>
      <div className="sweep-main">
        {creating ? (
          <SweepForm spec={spec} training={training} suggestions={suggestions}
            onCreated={(sweep) => { setCreating(false); onSelect(sweep.id); reread(); }}
            onCancel={() => setCreating(false)} />
        ) : selected ? (
          <SweepView key={selected} sweepId={selected} onOpen={onOpen} onChanged={reread}
            onDeleted={() => { onSelect(null); setCreating(true); reread(); }} />
        ) : <p className="muted">{t("panel.choose")}</p>}
      </div>
    </section>
  );
}
