// Activations, as CNN Explainer's overview: the input with its true label, every layer's
// output (every channel, a page at a time), the prediction as bars of class
// probabilities; a click on a feature map opens it (ChannelDetail).
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { decodeArray, unwrap, type Schemas } from "../api/client";
import { inspectActivations } from "../api/gen";
import { percent, shape } from "../format";
import { ChannelDetail } from "./ChannelDetail";
import { Heatmap } from "./Heatmap";
import { InputImage } from "./InputImage";
import { forRun } from "./inspectApi";
import { Status, useView } from "./useView";

type Activations = Schemas["ActivationsOut"];
type Layer = Schemas["LayerActivation"];
type Prediction = Schemas["PredictOut"];

const PAGE = 32; // feature maps (or steps) of a layer shown at once

export interface Picked {
  layer: string;
  channel: number;
}

interface Props {
  runId: string;
  sample: number;
}

export function ActivationsView({ runId, sample }: Props) {
  const { data, error, loading } = useView<Activations>(
    () => unwrap(inspectActivations({ ...forRun(runId), body: { sample, max_channels: PAGE } })), `activations:${sample}`);
  const [picked, setPicked] = useState<Picked | null>(null);
  const names = data?.class_names ?? null;
  return (
    <div className="view" data-testid="activations-view">
      <Status error={error} loading={loading} />
      {data && (
        <>
          <div className="strip">
            <InputCard data={data} />
            {data.layers.map((layer) => (
              <LayerCard key={layer.id} runId={runId} sample={sample} layer={layer} picked={picked} onPick={setPicked} />
            ))}
            {data.prediction?.probabilities && (
              <Probabilities prediction={data.prediction} names={names} label={data.label ?? null} />
            )}
          </div>
          {picked && <ChannelDetail runId={runId} sample={sample} picked={picked} onClose={() => setPicked(null)} />}
        </>
      )}
    </div>
  );
}

function className(names: string[] | null, index: number): string {
  return names?.[index] ?? String(index);
}

function InputCard({ data }: { data: Activations }) {
  const { t } = useTranslation("inspect");
  const names = data.class_names ?? null;
  const best = data.prediction?.top?.[0];
  const label = data.label ?? null;
  return (
    <figure className="strip-layer input-card" data-testid="input-card">
      <figcaption><strong>{t("activations.input")}</strong></figcaption>
      <InputImage input={data.input} size={96} />
      {label !== null && (
        <div data-testid="true-label">{t("activations.truth", { label: Number.isInteger(label) ? className(names, label) : label })}</div>
      )}
      {best && (
        <div data-testid="predicted-label" className={label === null ? "" : best.index === label ? "right" : "wrong"}>
          {t("activations.predicted", { label: best.name ?? String(best.index), probability: percent(best.probability) })}
        </div>
      )}
    </figure>
  );
}

/** How a layer's output is laid out as heatmaps: [maps, rows, cols]. */
function layout(layer: Layer, dims: number[], count: number): [number, number, number] {
  if (layer.kind === "maps" && dims.length === 3) return [dims[0], dims[1], dims[2]];
  if (layer.kind === "maps") return [dims[0], 1, dims[1]];
  if (layer.kind === "sequence") return [1, dims[0], dims[1]];
  return [1, 1, count];
}

interface LayerProps {
  runId: string;
  sample: number;
  layer: Layer;
  picked: Picked | null;
  onPick: (picked: Picked) => void;
}

function LayerCard({ runId, sample, layer: first, picked, onPick }: LayerProps) {
  const { t } = useTranslation("inspect");
  const [from, setFrom] = useState(first.first_channel ?? 0);
  const paged = from !== (first.first_channel ?? 0);
  const page = useView<Activations>(
    () => unwrap(inspectActivations({ ...forRun(runId), body: { sample, layers: [first.id], max_channels: PAGE, first_channel: from } })),
    paged ? `activations:${sample}:${first.id}:${from}` : null);
  const layer = paged ? page.data?.layers[0] ?? null : first;
  const total = first.shape[0] ?? 1;
  const pages = (first.kind === "maps" || first.kind === "sequence") && total > PAGE;
  const mapsKind = first.kind === "maps";
  return (
    <figure className="strip-layer" data-testid={`layer-${first.id}`}>
      <figcaption><strong>{first.id}</strong> {shape(first.shape)}</figcaption>
      {pages && (
        <div className="pager" data-testid="pager">
          <button type="button" disabled={from === 0} aria-label={t("activations.previous")}
            onClick={() => setFrom(Math.max(0, from - PAGE))}>‹</button>
          <span>{t(mapsKind ? "activations.channels" : "activations.steps",
            { first: from, last: Math.min(total, from + PAGE) - 1, total })}</span>
          <button type="button" disabled={from + PAGE >= total} aria-label={t("activations.next")}
            onClick={() => setFrom(Math.min(total - PAGE, from + PAGE))}>›</button>
        </div>
      )}
      {paged && <Status error={page.error} loading={page.loading} />}
      {layer && <Maps layer={layer} picked={picked} onPick={onPick} />}
      {layer?.cut && !pages && <small className="muted">{layer.cut}</small>}
    </figure>
  );
}

function Maps({ layer, picked, onPick }: { layer: Layer; picked: Picked | null; onPick: (picked: Picked) => void }) {
  const { t } = useTranslation("inspect");
  const { shape: dims, values } = decodeArray(layer.values);
  const [maps, rows, cols] = layout(layer, dims, values.length);
  const start = layer.first_channel ?? 0;
  const heatmap = (m: number, size: number) => (
    <Heatmap values={values} offset={m * rows * cols} rows={rows} cols={cols}
      scale="diverging" low={layer.min} high={layer.max} size={size} />
  );
  if (layer.kind !== "maps") return <div className="maps">{heatmap(0, layer.kind === "vector" ? 120 : 60)}</div>;
  return (
    <div className="maps">
      {Array.from({ length: maps }, (_, m) => {
        const channel = start + m;
        const chosen = picked?.layer === layer.id && picked.channel === channel;
        return (
          <button key={channel} type="button" className={chosen ? "map chosen" : "map"} data-channel={channel}
            aria-label={t("activations.open", { layer: layer.id, channel })} title={t("activations.open", { layer: layer.id, channel })}
            onClick={() => onPick({ layer: layer.id, channel })}>
            {heatmap(m, 40)}
          </button>
        );
      })}
    </div>
  );
}

const ALL_CLASSES = 20; // more classes than this: the likeliest only

function Probabilities({ prediction, names, label }: { prediction: Prediction; names: string[] | null; label: number | null }) {
  const { t } = useTranslation("inspect");
  const probabilities = prediction.probabilities ?? [];
  const shown = probabilities.length <= ALL_CLASSES
    ? probabilities.map((p, i) => ({ index: i, probability: p }))
    : (prediction.top ?? []).map((c) => ({ index: c.index, probability: c.probability }));
  const best = prediction.top?.[0]?.index;
  return (
    <figure className="strip-layer probabilities" data-testid="probabilities">
      <figcaption><strong>{t("activations.prediction")}</strong></figcaption>
      <table>
        <tbody>
          {shown.map(({ index, probability }) => (
            <tr key={index} className={[index === best ? "best" : "", index === label ? "truth" : ""].join(" ").trim()}>
              <th scope="row">{className(names, index)}</th>
              <td><span className="bar" style={{ width: `${Math.max(1, 100 * probability)}%` }} /></td>
              <td className="number">{percent(probability)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
