// The inspection views of a run's listed views: feature maps per layer for a sample,
// filters, attention per head, confusion, histograms by epoch, and draw-a-digit.
import { useEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { decodeArray, unwrap, type Schemas } from "../api/client";
import {
  inspectActivations, inspectAttention, inspectConfusion, inspectDraw, inspectEmbedding, inspectFilters, inspectHistograms,
  inspectSaliency,
} from "../api/gen";
import { percent, shape } from "../format";
import { Heatmap } from "./Heatmap";
import { InputImage } from "./InputImage";
import { failure, forRun } from "./inspectApi";

type Activations = Schemas["ActivationsOut"];
type Filters = Schemas["FiltersOut"];
type Attention = Schemas["AttentionOut"];
type Confusion = Schemas["ConfusionOut"];
type Histograms = Schemas["HistogramsOut"];
type Prediction = Schemas["PredictOut"];

/** Fetch a view (again when `key` changes); the answer, its error in words, and whether it is loading. */
function useView<T>(fetch: () => Promise<T>, key: string) {
  const [state, setState] = useState<{ data: T | null; error: string | null; loading: boolean }>(
    { data: null, error: null, loading: true });
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    fetch()
      .then((data) => live && setState({ data, error: null, loading: false }))
      .catch((e: unknown) => live && setState({ data: null, error: failure(e), loading: false }));
    return () => { live = false; };
  }, [key]); // eslint-disable-line react-hooks/exhaustive-deps
  return state;
}

function Status({ error, loading }: { error: string | null; loading: boolean }) {
  const { t } = useTranslation("inspect");
  if (error) return <p className="error" role="alert">{error}</p>;
  return loading ? <p className="muted">{t("loading")}</p> : null;
}

export function ActivationsView({ runId, sample }: { runId: string; sample: number }) {
  const { data, error, loading } = useView<Activations>(
    () => unwrap(inspectActivations({ ...forRun(runId), body: { sample, max_channels: 16 } })), `${runId}:${sample}`);
  return (
    <div className="view" data-testid="activations-view">
      <Status error={error} loading={loading} />
      <div className="strip">
        {data?.layers.map((layer) => {
          const { shape: dims, values } = decodeArray(layer.values);
          const [maps, rows, cols] = layer.kind === "maps" && dims.length === 3 ? dims
            : layer.kind === "maps" ? [dims[0], 1, dims[1]]
            : layer.kind === "sequence" ? [1, dims[0], dims[1]] : [1, 1, values.length];
          return (
            <figure key={layer.id} className="strip-layer">
              <figcaption><strong>{layer.id}</strong> {shape(layer.shape)}</figcaption>
              <div className="maps">
                {Array.from({ length: maps }, (_, m) => (
                  <Heatmap key={m} values={values} offset={m * rows * cols} rows={rows} cols={cols}
                    scale="diverging" low={layer.min} high={layer.max} size={layer.kind === "vector" ? 120 : 40} />
                ))}
              </div>
              {layer.cut && <small className="muted">{layer.cut}</small>}
            </figure>
          );
        })}
      </div>
    </div>
  );
}

export function FiltersView({ runId }: { runId: string }) {
  const { t } = useTranslation("inspect");
  const { data, error, loading } = useView<Filters>(() => unwrap(inspectFilters({ ...forRun(runId), query: { max_filters: 32 } })), runId);
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

/** The most queries or keys drawn with a token label beside each row and column. */
const MAX_LABELLED = 48;

export function AttentionView({ runId, sample }: { runId: string; sample: number }) {
  const { t } = useTranslation("inspect");
  const { data, error, loading } = useView<Attention>(() => unwrap(inspectAttention({ ...forRun(runId), body: { sample } })), `${runId}:${sample}`);
  const [head, setHead] = useState<number | "mean">("mean");
  return (
    <div className="view" data-testid="attention-view">
      <Status error={error} loading={loading} />
      {data && (
        <label>{t("attention.head")}{" "}
          <select value={String(head)} onChange={(e) => setHead(e.target.value === "mean" ? "mean" : Number(e.target.value))}>
            <option value="mean">{t("attention.average")}</option>
            {Array.from({ length: data.layers[0]?.heads ?? 0 }, (_, h) => <option key={h} value={h}>{h}</option>)}
          </select>
        </label>
      )}
      <div className="strip">
        {data?.layers.map((layer) => {
          const { shape: dims, values } = decodeArray(layer.weights);
          const [heads, queries, keys] = dims; // what was sent (cut to 256 tokens at most)
          const n = queries * keys;
          let shown: ArrayLike<number> = values;
          let offset = 0;
          if (head === "mean") {
            const mean = new Float32Array(n);
            for (let h = 0; h < heads; h++) for (let i = 0; i < n; i++) mean[i] += values[h * n + i] / heads;
            shown = mean;
          } else {
            offset = Math.min(head, heads - 1) * n;
          }
          const rowLabels = layer.query_tokens && layer.query_tokens.length === queries ? layer.query_tokens : null;
          const colLabels = layer.key_tokens && layer.key_tokens.length === keys ? layer.key_tokens : null;
          const labelled = rowLabels && colLabels && Math.max(queries, keys) <= MAX_LABELLED;
          const cell = 260 / Math.max(queries, keys);
          const map = <Heatmap values={shown} offset={offset} rows={queries} cols={keys} scale="viridis" low={0} high={1} size={260} />;
          return (
            <figure key={`${layer.id}:${layer.part}`} data-testid={`attention-${layer.id}-${layer.part}`} data-part={layer.part}>
              <figcaption><strong>{layer.id}</strong> {t(layer.part === "cross" ? "attention.cross" : "attention.self")}{" "}
                <span className="muted">{t(layer.part === "cross" ? "attention.crossAxes" : "attention.axes")}</span></figcaption>
              {labelled ? (
                <div className="attention-grid" style={{ gridTemplateColumns: `auto ${Math.round(cell * keys)}px` }}>
                  <span />
                  <div className="key-labels" data-testid="key-labels">
                    {colLabels.map((token, k) => <span key={k} style={{ width: cell }} title={token}>{token}</span>)}
                  </div>
                  <div className="query-labels" data-testid="query-labels">
                    {rowLabels.map((token, q) => <span key={q} style={{ height: cell }} title={token}>{token}</span>)}
                  </div>
                  {map}
                </div>
              ) : map}
              {layer.cut && <small className="muted">{layer.cut}</small>}
              {!labelled && data.tokens && <div className="tokens" title={t("attention.sequence")}>{data.tokens.join("")}</div>}
            </figure>
          );
        })}
      </div>
    </div>
  );
}

export function ConfusionView({ runId }: { runId: string }) {
  const { t } = useTranslation("inspect");
  const { data, error, loading } = useView<Confusion>(() => unwrap(inspectConfusion(forRun(runId))), runId);
  const max = data ? Math.max(1, ...data.matrix.flat()) : 1;
  const names = (i: number) => data?.class_names?.[i] ?? String(i);
  return (
    <div className="view" data-testid="confusion-view">
      <Status error={error} loading={loading} />
      {data && (
        <>
          <p>{t("confusion.summary", { accuracy: percent(data.accuracy), samples: data.samples })}</p>
          <table className="confusion">
            <tbody>
              <tr><th />{data.matrix.map((_, j) => <th key={j}>{names(j)}</th>)}<th>{t("confusion.recall")}</th></tr>
              {data.matrix.map((row, i) => (
                <tr key={i}>
                  <th>{names(i)}</th>
                  {row.map((v, j) => (
                    <td key={j} style={{ background: `rgb(${255 - (200 * v) / max}, ${255 - (130 * v) / max}, 255)` }}>{v}</td>
                  ))}
                  <td>{data.per_class_accuracy[i] === null ? "–" : percent(data.per_class_accuracy[i]!)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {data.wrong.length > 0 && (
            <>
              <p className="muted">{t("confusion.mistakes")}</p>
              <div className="mistakes" data-testid="mistakes">
                {data.wrong.slice(0, 12).map((w) => (
                  <figure key={w.index}>
                    {w.input && <InputImage input={w.input} />}
                    <figcaption>{names(w.label)} → {names(w.predicted)} {percent(w.confidence)}</figcaption>
                  </figure>
                ))}
              </div>
            </>
          )}
        </>
      )}
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
  const { data, error, loading } = useView<Histograms>(() => unwrap(inspectHistograms(forRun(runId))), runId);
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
                <Bars counts={p.weights.counts} colour="#2563eb" />
                <small className="muted">
                  {t("histograms.weights", { low: p.weights.low.toPrecision(2), high: p.weights.high.toPrecision(2) })}
                </small>
                {p.gradients && <Bars counts={p.gradients.counts} colour="#ea580c" />}
                {p.gradients && <small className="muted">{t("histograms.gradients", { std: p.gradients.std.toPrecision(2) })}</small>}
              </figure>
            ))}
          </div>
        </>
      )}
    </div>
  );
}

export function DrawView({ runId }: { runId: string }) {
  const { t } = useTranslation("inspect");
  const canvas = useRef<HTMLCanvasElement>(null);
  const drawing = useRef(false);
  const [result, setResult] = useState<Prediction | null>(null);
  const [error, setError] = useState<string | null>(null);
  const clear = () => {
    const context = canvas.current!.getContext("2d")!;
    context.fillStyle = "#000";
    context.fillRect(0, 0, 280, 280);
    setResult(null);
  };
  useEffect(clear, []);
  const stroke = (e: React.PointerEvent<HTMLCanvasElement>) => {
    if (!drawing.current) return;
    const box = canvas.current!.getBoundingClientRect();
    const scale = canvas.current!.width / box.width; // the canvas is drawn smaller than its pixels
    const context = canvas.current!.getContext("2d")!;
    context.fillStyle = "#fff";
    context.beginPath();
    context.arc((e.clientX - box.left) * scale, (e.clientY - box.top) * scale, 11, 0, 2 * Math.PI);
    context.fill();
  };
  const predict = async () => {
    try {
      setError(null);
      setResult(await unwrap(inspectDraw({ ...forRun(runId), body: { png: canvas.current!.toDataURL("image/png") } })));
    } catch (e) {
      setError(failure(e));
    }
  };
  return (
    <div className="view draw" data-testid="draw-view">
      <canvas ref={canvas} width={280} height={280} className="draw-canvas"
        onPointerDown={(e) => { drawing.current = true; stroke(e); }}
        onPointerMove={stroke}
        onPointerUp={() => { drawing.current = false; void predict(); }}
        onPointerLeave={() => { drawing.current = false; }} />
      <div>
        <button type="button" onClick={clear}>{t("draw.clear")}</button>
        {error && <p className="error" role="alert">{error}</p>}
        {result?.top && (
          <ol className="top-classes" data-testid="prediction">
            {result.top.map((c) => (
              <li key={c.index}><span>{c.name ?? c.index}</span>
                <meter min={0} max={1} value={c.probability} /> {percent(c.probability)}</li>
            ))}
          </ol>
        )}
      </div>
    </div>
  );
}

type Saliency = Schemas["SaliencyOut"];
type Embedding = Schemas["EmbeddingOut"];

/** A float input as a heatmap grid: (C, H, W) shows channel 0, (N,) one row. */
function grid(dims: number[]): [number, number] {
  if (dims.length >= 2) return [dims[dims.length - 2], dims[dims.length - 1]];
  return [1, dims[0] ?? 1];
}

export function SaliencyView({ runId, sample }: { runId: string; sample: number }) {
  const { t } = useTranslation("inspect");
  const { data, error, loading } = useView<Saliency>(() => unwrap(inspectSaliency({ ...forRun(runId), body: { sample } })), `${runId}:${sample}`);
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

export function EmbeddingView({ runId, layers }: { runId: string; layers: string[] }) {
  const { t } = useTranslation("inspect");
  const [layer, setLayer] = useState(layers[Math.max(0, layers.length - 2)] ?? "");
  const { data, error, loading } = useView<Embedding>(
    () => unwrap(inspectEmbedding({ ...forRun(runId), query: { layer, samples: 500 } })), `${runId}:${layer}`);
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (!data || !canvas.current) return;
    const points = decodeArray(data.points).values;
    const labels = decodeArray(data.labels).values;
    const context = canvas.current.getContext("2d")!;
    context.clearRect(0, 0, 260, 260);
    let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
    for (let i = 0; i < labels.length; i++) {
      x0 = Math.min(x0, points[2 * i]); x1 = Math.max(x1, points[2 * i]);
      y0 = Math.min(y0, points[2 * i + 1]); y1 = Math.max(y1, points[2 * i + 1]);
    }
    for (let i = 0; i < labels.length; i++) {
      const hue = (Math.round(labels[i]) * 37) % 360;
      context.fillStyle = `hsl(${hue} 70% 45%)`;
      context.beginPath();
      context.arc(10 + (240 * (points[2 * i] - x0)) / (x1 - x0 || 1), 250 - (240 * (points[2 * i + 1] - y0)) / (y1 - y0 || 1), 2.5, 0, 2 * Math.PI);
      context.fill();
    }
  }, [data]);
  return (
    <div className="view" data-testid="embedding-view">
      <label>{t("embedding.layer")}{" "}
        <select value={layer} onChange={(e) => setLayer(e.target.value)}>
          {layers.map((l) => <option key={l} value={l}>{l}</option>)}
        </select>
      </label>
      <Status error={error} loading={loading} />
      <canvas ref={canvas} width={260} height={260} className="embedding" />
      {data && (
        <p className="muted">
          {t("embedding.projection", {
            dimensions: data.dimensions, first: percent(data.explained[0] ?? 0), second: percent(data.explained[1] ?? 0),
          })}
        </p>
      )}
    </div>
  );
}
