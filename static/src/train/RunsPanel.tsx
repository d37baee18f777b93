// The runs table beside their comparison: tick any number of runs to overlay any epoch
// metric against the epoch, the step or the time trained (runs that differ in their seed
// alone as one mean line in a ±1 std band), with their final metrics side by side and what
// differs in their specs and settings.
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, type RunOut } from "../api/client";
import { Chart, type Series } from "./Chart";
import { differences, flatten } from "./diff";
import { scoreLabel } from "./runColumns";
import { RunsTable } from "./RunsTable";
import { compared as comparedRun, defaultMetric, finalValue, meanBand, metricNames, seedGroups, type Compared, type XAxis } from "./compare";
import { metricLabel } from "./labels";
import { runColour } from "./runColours";
import { metric as number } from "../format";

interface Props {
  /** The datasets' names, to filter the runs by. */
  datasets: string[];
  current: string | null;
  onOpen: (run: RunOut) => void;
}

export function RunsPanel({ datasets, current, onOpen }: Props) {
  const { t } = useTranslation("train");
  const [ticked, setTicked] = useState<string[]>(current ? [current] : []);
  const [compared, setCompared] = useState<Compared[]>([]);
  const [picked, setPicked] = useState<string | null>(null); // the metric drawn; null: the default
  const [x, setX] = useState<XAxis>("epoch");
  const [grouped, setGrouped] = useState(false);
  useEffect(() => {
    let live = true;
    Promise.all(ticked.map(async (id) => {
      const { run, metrics } = await api.snapshot(id);
      return comparedRun(run, metrics);
    })).then((c) => live && setCompared(c)).catch(() => undefined);
    return () => { live = false; };
  }, [ticked.join()]); // eslint-disable-line react-hooks/exhaustive-deps
  const toggle = (id: string) => setTicked((t) => (t.includes(id) ? t.filter((x) => x !== id) : [...t, id]));
  const names = metricNames(compared);
  const chosen = picked && names.includes(picked) ? picked : defaultMetric(names);
  const axis: XAxis = grouped ? "epoch" : x; // seeds share their epochs, not their steps or time
  const groups = grouped ? seedGroups(compared) : compared.map((c) => [c]);
  const series: Series[] = [];
  groups.forEach((group, i) => {
    const colour = runColour(i);
    const name = (c: Compared) => c.run.name.slice(0, 24) + ` (${c.run.id.slice(0, 6)})`;
    if (!chosen) return;
    if (group.length === 1) {
      const [c] = group;
      series.push({ label: name(c), x: c.epochs[axis] ?? [], y: c.epochs[chosen] ?? [], colour, points: true });
      return;
    }
    const band = meanBand(group, chosen);
    const label = t("runs.seeds", { name: name(group[0]), count: group.length });
    series.push({ label, x: band.x, y: band.mean, colour, points: true });
    series.push({ label: `${label} +σ`, x: band.x, y: band.mean.map((m, k) => m + band.std[k]), colour, dash: [4, 4],
      band: { with: series.length + 1, fill: `${colour}26` } });
    series.push({ label: `${label} −σ`, x: band.x, y: band.mean.map((m, k) => m - band.std[k]), colour, dash: [4, 4] });
  });
  const xLabel = { epoch: t("charts.epoch"), step: t("charts.step"), time: t("runs.time") }[axis];
  const flats = compared.map((c) => flatten({ spec: c.run.spec, training: c.run.training }));
  const changed = compared.length > 1 ? differences(flats) : []; // only what differs
  return (
    <section className="runs-panel" aria-label={t("runs.label")} data-testid="runs-panel">
      <RunsTable datasets={datasets} current={current} ticked={ticked} onToggle={toggle}
        onOpen={async (id) => onOpen(await api.run(id))} />
      <div className="runs-compare">
        {compared.length > 0 && (
          <div className="compare-tools" data-testid="compare-tools">
            <label>{t("runs.metric")}{" "}
              <select value={chosen ?? ""} onChange={(e) => setPicked(e.target.value)} data-testid="compare-metric">
                {names.map((n) => <option key={n} value={n}>{metricLabel(n)}</option>)}
              </select></label>
            <label title={grouped ? t("runs.groupedByEpoch") : undefined}>{t("runs.xAxis")}{" "}
              <select value={axis} onChange={(e) => setX(e.target.value as XAxis)} disabled={grouped} data-testid="compare-x">
                {(["epoch", "step", "time"] as const).map((a) => <option key={a} value={a}>{t(`runs.x.${a}`)}</option>)}
              </select></label>
            <label><input type="checkbox" checked={grouped} onChange={(e) => setGrouped(e.target.checked)}
              data-testid="compare-group" />{" "}{t("runs.groupSeeds")}</label>
          </div>
        )}
        {compared.length > 0 && chosen && (
          <Chart title={metricLabel(chosen)} testId="overlay-chart" series={series} xLabel={xLabel}
            version={compared.length + (grouped ? 1000 : 0)} />
        )}
        {compared.length > 0 && (
          <table className="runs-diff" data-testid="runs-finals">
            <thead><tr><th>{t("runs.finals")}</th>{compared.map((c, i) => (
              <th key={c.run.id} style={{ color: grouped ? undefined : runColour(i) }}>{c.run.name}</th>))}</tr></thead>
            <tbody>
              <tr><td>{t("runs.columns.score")}</td>{compared.map((c) => (
                <td key={c.run.id}>{c.run.score ? scoreLabel(c.run.score) : "–"}</td>))}</tr>
              {chosen && <tr><td>{t("runs.final", { metric: metricLabel(chosen) })}</td>{compared.map((c) => (
                <td key={c.run.id}>{number(finalValue(c, chosen))}</td>))}</tr>}
              {[...new Set(compared.flatMap((c) => Object.keys(c.run.test_metrics ?? {})))].sort().map((m) => (
                <tr key={m}><td>{metricLabel(m)}</td>{compared.map((c) => <td key={c.run.id}>{number(c.run.test_metrics?.[m])}</td>)}</tr>
              ))}
            </tbody>
          </table>
        )}
        {changed.length > 0 && (
          <table className="runs-diff" data-testid="runs-diff">
            <thead><tr><th>{t("runs.setting")}</th>{compared.map((c, i) => <th key={c.run.id} style={{ color: runColour(i) }}>{c.run.id.slice(0, 6)}</th>)}</tr></thead>
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
