// The runs table beside overlaid curves: tick several runs to compare their validation
// (or training) loss per epoch, with a diff of their specs and settings.
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, type RunOut, type RunSummary } from "../api/client";
import { Chart, type Series } from "./Chart";
import { differences, flatten } from "./diff";
import { RunsTable } from "./RunsTable";
import { epochLoss } from "./stream";

const PALETTE = ["#2563eb", "#ea580c", "#059669", "#7c3aed", "#db2777", "#0891b2", "#ca8a04", "#475569"];

interface Compared {
  run: RunOut;
  epochs: (number | null)[];
  loss: (number | null)[];
}

interface Props {
  current: string | null;
  onOpen: (run: RunOut) => void;
}

export function RunsPanel({ current, onOpen }: Props) {
  const { t } = useTranslation("train");
  const [runs, setRuns] = useState<RunSummary[]>([]);
  const [ticked, setTicked] = useState<string[]>(current ? [current] : []);
  const [compared, setCompared] = useState<Compared[]>([]);
  useEffect(() => {
    let live = true;
    const load = () => api.runs().then((r) => live && setRuns(r.runs)).catch(() => undefined);
    void load();
    const timer = window.setInterval(load, 3000);
    return () => { live = false; window.clearInterval(timer); };
  }, []);
  useEffect(() => {
    let live = true;
    Promise.all(ticked.map(async (id) => {
      const { run, metrics } = await api.snapshot(id);
      return { run, ...epochLoss(metrics) };
    })).then((c) => live && setCompared(c)).catch(() => undefined);
    return () => { live = false; };
  }, [ticked.join()]); // eslint-disable-line react-hooks/exhaustive-deps
  const toggle = (id: string) => setTicked((t) => (t.includes(id) ? t.filter((x) => x !== id) : [...t, id]));
  const series: Series[] = compared.map((c, i) => ({
    label: c.run.name.slice(0, 24) + ` (${c.run.id.slice(0, 6)})`, x: c.epochs, y: c.loss,
    colour: PALETTE[i % PALETTE.length], points: true,
  }));
  const flats = compared.map((c) => flatten({ spec: c.run.spec, training: c.run.training }));
  const changed = compared.length > 1 ? differences(flats) : [];
  return (
    <section className="runs-panel" aria-label={t("runs.label")} data-testid="runs-panel">
      <RunsTable runs={runs} current={current} ticked={ticked} onToggle={toggle}
        onOpen={async (id) => onOpen(await api.run(id))}
        onEdited={(edited) => setRuns((all) => all.map((r) => (r.id === edited.id ? edited : r)))} />
      <div className="runs-compare">
        {compared.length > 0 && (
          <Chart title={t("runs.overlay")} testId="overlay-chart" series={series} xLabel={t("charts.epoch")}
            version={compared.length} />
        )}
        {changed.length > 0 && (
          <table className="runs-diff" data-testid="runs-diff">
            <thead><tr><th>{t("runs.setting")}</th>{compared.map((c, i) => <th key={c.run.id} style={{ color: PALETTE[i % PALETTE.length] }}>{c.run.id.slice(0, 6)}</th>)}</tr></thead>
            <tbody>
              {changed.map((path) => (
                <tr key={path}><td>{path}</td>{flats.map((f, i) => <td key={i}>{f[path] ?? "–"}</td>)}</tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </section>
  );
}
