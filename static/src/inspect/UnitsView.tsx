// Every unit of a small 2-D network, as TensorFlow Playground draws it: each unit's
// output over the input plane as a little map (one diverging scale for all, with its
// legend), layer by layer from the inputs, and between them the weights as lines
// coloured by sign and as thick as their size. Pointing at a line gives its weight and
// gradient, at a unit its bias and a larger map. A slider goes back through the epochs
// whose weights were kept; while the run trains the maps follow its checkpoints.
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { decodeArray, unwrap, type Schemas } from "../api/client";
import { inspectEpochs, inspectUnits } from "../api/gen";
import { metric } from "../format";
import { featureLabel } from "../train/labels";
import { diverging } from "./colour";
import { Heatmap } from "./Heatmap";
import { forRun } from "./inspectApi";
import { Legend } from "./Legend";
import { Status, useView } from "./useView";

type Units = Schemas["UnitsOut"];
type Epochs = Schemas["EpochsOut"];

const MAP = 44; // CSS pixels of a unit's map
const GAP_X = 96; // between layers' columns
const GAP_Y = 10; // between units
const TOP = 24; // room for the layers' names
const RESOLUTION = 48;
const NAME = MAP + GAP_X - 12; // room for a layer's name and activation above its column

interface Pointed {
  kind: "unit" | "edge";
  layer: number; // index in the columns (0: the inputs)
  unit: number;
  source?: number; // an edge's unit in the column before
}

export function UnitsView({ runId, tick }: { runId: string; tick: number }) {
  const { t } = useTranslation("inspect");
  const epochs = useView<Epochs>(() => unwrap(inspectEpochs(forRun(runId))), `units/epochs:${tick}`);
  const kept = epochs.data?.epochs ?? [];
  const [chosen, setChosen] = useState<number | null>(null); // an index into kept; null: the latest
  const epoch = chosen === null ? undefined : kept[chosen];
  const { data, error, loading } = useView<Units>(
    () => unwrap(inspectUnits({ ...forRun(runId), query: { resolution: RESOLUTION, ...(epoch === undefined ? {} : { epoch }) } })),
    `units:${epoch ?? `latest:${tick}`}`);
  const [pointed, setPointed] = useState<Pointed | null>(null);
  return (
    <div className="view units-view" data-testid="units-view">
      {error ? <p className="muted" role="note" data-testid="units-why">{error}</p> : <Status error={null} loading={loading && !data} />}
      {kept.length > 1 && (
        <label className="controls">{epoch === undefined ? t("units.latest") : t("units.epoch", { epoch })}{" "}
          <input type="range" min={0} max={kept.length} value={chosen ?? kept.length} aria-label={t("units.epochLabel")}
            onChange={(e) => { const i = Number(e.target.value); setChosen(i >= kept.length ? null : i); }} />
        </label>
      )}
      {data && <Network data={data} pointed={pointed} onPoint={setPointed} />}
    </div>
  );
}

interface Column {
  name: string;
  maps: Float32Array | Uint8Array;
  units: number;
  weights: number[][] | null; // into this column's units from the column before
  gradients: number[][] | null;
  bias: number[] | null;
  labels: string[] | null; // what each unit is, where it is named (the inputs)
}

function columns(data: Units, t: (key: "units.inputs") => string): Column[] {
  const inputs = decodeArray(data.input_maps).values;
  return [
    { name: t("units.inputs"), maps: inputs, units: data.inputs.length, weights: null, gradients: null, bias: null,
      labels: data.inputs.map(featureLabel) },
    ...data.layers.map((layer) => ({
      name: layer.activation ? `${layer.id} · ${layer.activation}` : layer.id,
      maps: decodeArray(layer.maps).values, units: layer.units, weights: layer.weights,
      gradients: layer.gradients ?? null, bias: layer.bias ?? null, labels: null,
    })),
  ];
}

function Network({ data, pointed, onPoint }: { data: Units; pointed: Pointed | null; onPoint: (p: Pointed | null) => void }) {
  const { t } = useTranslation("inspect");
  const cols = columns(data, t);
  const n = data.resolution;
  // one scale for all, that of the hidden units where there are some: an output's
  // logits may run far past them (drawn at the scale's ends), and would wash them out
  const scaled = data.layers.length > 1 ? data.layers.slice(0, -1) : data.layers;
  let extent = 1e-6;
  for (const layer of scaled) extent = Math.max(extent, Math.abs(layer.low), Math.abs(layer.high));
  const out = data.layers[data.layers.length - 1];
  const clipped = Math.max(Math.abs(out.low), Math.abs(out.high)) > extent;
  let heaviest = 1e-6;
  for (const c of cols) for (const row of c.weights ?? []) for (const w of row) heaviest = Math.max(heaviest, Math.abs(w));
  const tallest = Math.max(...cols.map((c) => c.units));
  const height = TOP + tallest * (MAP + GAP_Y);
  const width = cols.length * (MAP + GAP_X) - GAP_X + NAME / 2;
  const top = (c: Column, unit: number) => TOP + ((tallest - c.units) * (MAP + GAP_Y)) / 2 + unit * (MAP + GAP_Y);
  const left = (i: number) => i * (MAP + GAP_X);
  const edges = [];
  for (let i = 1; i < cols.length; i++) {
    const weights = cols[i].weights ?? [];
    for (let unit = 0; unit < weights.length; unit++) {
      for (let source = 0; source < weights[unit].length; source++) {
        const w = weights[unit][source];
        const rgb = diverging(w / heaviest).map(Math.round).join(" ");
        const hot = pointed?.kind === "edge" && pointed.layer === i && pointed.unit === unit && pointed.source === source;
        edges.push(
          <line key={`${i}:${unit}:${source}`} className={hot ? "edge hot" : "edge"} data-weight={w}
            x1={left(i - 1) + MAP} y1={top(cols[i - 1], source) + MAP / 2} x2={left(i)} y2={top(cols[i], unit) + MAP / 2}
            stroke={`rgb(${rgb})`} strokeWidth={0.5 + (4 * Math.abs(w)) / heaviest}
            onPointerEnter={() => onPoint({ kind: "edge", layer: i, unit, source })} onPointerLeave={() => onPoint(null)} />);
      }
    }
  }
  return (
    <div className="units-body">
      <div className="units-network" style={{ width, height }}>
        <svg width={width} height={height} className="units-edges" aria-label={t("units.edges")} role="img">{edges}</svg>
        {cols.map((c, i) => (
          <div key={i}>
            <span className="units-name" title={c.name}
              style={{ left: Math.max(0, left(i) + MAP / 2 - NAME / 2), width: NAME, textAlign: i === 0 ? "left" : undefined }}>
              {c.name}</span>
            {Array.from({ length: c.units }, (_, unit) => (
              <span key={unit} className="unit" data-testid={`unit-${i}-${unit}`} style={{ left: left(i), top: top(c, unit) }}
                onPointerEnter={() => onPoint({ kind: "unit", layer: i, unit })} onPointerLeave={() => onPoint(null)}>
                <Heatmap values={c.maps} offset={unit * n * n} rows={n} cols={n} scale="diverging" low={-extent} high={extent}
                  size={MAP} flip />
                {c.labels && <span className="unit-label">{c.labels[unit]}</span>}
              </span>
            ))}
          </div>
        ))}
      </div>
      <aside className="units-side">
        <Legend scale="diverging" low={-extent} high={extent} label={t(clipped ? "units.scaleClipped" : "units.scale")} />
        <Readout cols={cols} pointed={pointed} n={n} extent={extent} />
      </aside>
    </div>
  );
}

function Readout({ cols, pointed, n, extent }: { cols: Column[]; pointed: Pointed | null; n: number; extent: number }) {
  const { t } = useTranslation("inspect");
  if (!pointed) return <p className="muted" data-testid="units-readout">{t("units.point")}</p>;
  const c = cols[pointed.layer];
  if (pointed.kind === "edge") {
    const source = pointed.source ?? 0;
    const gradient = c.gradients?.[pointed.unit]?.[source];
    return (
      <p data-testid="units-readout">{t("units.weight", {
        from: `${cols[pointed.layer - 1].name} ${unitName(cols[pointed.layer - 1], source)}`,
        to: `${c.name} ${unitName(c, pointed.unit)}`,
        weight: metric(c.weights?.[pointed.unit]?.[source]), gradient: gradient === undefined ? "–" : metric(gradient),
      })}</p>
    );
  }
  return (
    <figure data-testid="units-readout">
      <Heatmap values={c.maps} offset={pointed.unit * n * n} rows={n} cols={n} scale="diverging" low={-extent} high={extent} size={160} flip />
      <figcaption>{t("units.unit", { layer: c.name, unit: c.labels?.[pointed.unit] ?? pointed.unit })}</figcaption>
      {c.bias && <div data-testid="unit-bias">{t("units.bias", { bias: metric(c.bias[pointed.unit]) })}</div>}
    </figure>
  );
}

/** A unit as the readout names it: its label (an input's feature), else its number. */
function unitName(c: Column, unit: number): string {
  return c.labels?.[unit] ?? `#${unit}`;
}
