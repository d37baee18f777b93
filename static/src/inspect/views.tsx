// The smaller inspection views: a network's filters, its weights and gradients by epoch,
// and what in one input its output rests on (saliency).
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { decodeArray, unwrap, type Schemas } from "../api/client";
import { inspectFilters, inspectHistograms, inspectSaliency } from "../api/gen";
import { precise, shape } from "../format";
import { Heatmap } from "./Heatmap";
import { InputImage } from "./InputImage";
import { forRun } from "./inspectApi";
import { Status, useView } from "./useView";

type Filters = Schemas["FiltersOut"];
type Histograms = Schemas["HistogramsOut"];

export function FiltersView({ runId }: { runId: string }) {
  const { t } = useTranslation("inspect");
  const { data, error, loading } = useView<Filters>(() => unwrap(inspectFilters({ ...forRun(runId), query: { max_filters: 32 } })), "filters");
  return (
    <div className="view" data-testid="filters-view">
      <Status error={error} loading={loading} />
      {data && !data.layers.length && <p className="muted">{t("filters.none")}</p>}
      {data?.layers.map((layer) => {
        const { shape: dims, values } = decodeArray(layer.values);
        const [out, inputs, kh, kw] = dims.length === 4 ? dims : [dims[0], dims[1], 1, dims[2]];
        return (
          <figure key={layer.id}>
            <figcaption><strong>{layer.id}</strong> {shape(layer.shape)} {layer.cut && <small className="muted">({layer.cut})</small>}</figcaption>
            {layer.png ? <img className="filter-grid" alt={t("filters.alt", { layer: layer.id })} src={`data:image/png;base64,${layer.png}`} />
              : (
                <div className="maps">
                  {Array.from({ length: out }, (_, f) => (
                    <Heatmap key={f} values={values} offset={f * inputs * kh * kw} rows={kh} cols={kw}
                      scale="diverging" low={layer.min} high={layer.max} size={28} title={t("filters.filter", { filter: f, channel: 0 })} />
                  ))}
                </div>
              )}
          </figure>
        );
      })}
    </div>
  );
}

function Bars({ counts, colour }: { counts: number[]; colour: string }) {
  const max = Math.max(1, ...counts);
  return (
    <svg className="bars" viewBox={`0 0 ${counts.length} 20`} preserveAspectRatio="none">
      {counts.map((c, i) => <rect key={i} x={i + 0.1} width={0.8} y={20 - (20 * c) / max} height={(20 * c) / max} fill={colour} />)}
    </svg>
  );
}

export function HistogramsView({ runId }: { runId: string }) {
  const { t } = useTranslation("inspect");
  const { data, error, loading } = useView<Histograms>(() => unwrap(inspectHistograms(forRun(runId))), "histograms");
  const [index, setIndex] = useState<number | null>(null);
  const epochs = data?.epochs ?? [];
  const at = epochs[index ?? epochs.length - 1];
  return (
    <div className="view" data-testid="histograms-view">
      <Status error={error} loading={loading} />
      {at && (
        <>
          <label>{t("histograms.epoch", { epoch: at.epoch })}{" "}
            <input type="range" min={0} max={epochs.length - 1} value={index ?? epochs.length - 1}
              onChange={(e) => setIndex(Number(e.target.value))} aria-label={t("histograms.epochLabel")} />
          </label>
          <div className="histograms">
            {at.parameters.map((p) => (
              <figure key={`${p.layer}.${p.parameter}`}>
                <figcaption>{p.layer}.{p.parameter}</figcaption>
                <Bars counts={p.weights.counts} colour="var(--accent)" />
                <small className="muted">
                  {t("histograms.weights", { low: precise(p.weights.low, 2), high: precise(p.weights.high, 2) })}
                </small>
                {p.gradients && <Bars counts={p.gradients.counts} colour="var(--accent-2)" />}
                {p.gradients && <small className="muted">{t("histograms.gradients", { std: precise(p.gradients.std, 2) })}</small>}
              </figure>
            ))}
          </div>
        </>
      )}
    </div>
  );
}

type Saliency = Schemas["SaliencyOut"];

/** A float input as a heatmap grid: (C, H, W) shows channel 0, (N,) one row. */
function grid(dims: number[]): [number, number] {
  if (dims.length >= 2) return [dims[dims.length - 2], dims[dims.length - 1]];
  return [1, dims[0] ?? 1];
}

export function SaliencyView({ runId, sample }: { runId: string; sample: number }) {
  const { t } = useTranslation("inspect");
  const { data, error, loading } = useView<Saliency>(() => unwrap(inspectSaliency({ ...forRun(runId), body: { sample } })), `saliency:${sample}`);
  return (
    <div className="view" data-testid="saliency-view">
      <Status error={error} loading={loading} />
      {data && (
        <div className="strip">
          <figure>
            <figcaption>{t("saliency.overlay")}</figcaption>
            <InputImage input={data.input} overlay={data.integrated_gradients} size={160} />
          </figure>
          {([["gradientTimesInput", data.gradient_x_input], ["integratedGradients", data.integrated_gradients]] as const).map(([method, array]) => {
            const { shape: dims, values } = decodeArray(array);
            const [rows, cols] = grid(dims);
            let extent = 0;
            for (const v of values) extent = Math.max(extent, Math.abs(v));
            return (
              <figure key={method}>
                <figcaption>{t("saliency.forOutput", { method: t(`saliency.${method}`), target: data.target })}</figcaption>
                <Heatmap values={values} rows={rows} cols={cols} scale="diverging" low={-extent} high={extent} size={160} />
              </figure>
            );
          })}
        </div>
      )}
    </div>
  );
}
