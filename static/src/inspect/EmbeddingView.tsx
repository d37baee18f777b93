// Where a layer puts the samples: its outputs over a split projected to 2-D (PCA, or
// t-SNE when asked, computed by the server), each point coloured by its class with a
// legend; pointing at a point shows its sample.
import { useEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { decodeArray, unwrap, type Schemas } from "../api/client";
import { inspectEmbedding, inspectSample } from "../api/gen";
import { fixed, percent } from "../format";
import { runColour } from "../train/runColours";
import { viridis } from "./colour";
import { InputImage } from "./InputImage";
import { forRun } from "./inspectApi";
import { Legend } from "./Legend";
import { Status, useView } from "./useView";

type Embedding = Schemas["EmbeddingOut"];
type Sample = Schemas["SplitSampleOut"];
type Method = "pca" | "tsne";

const SIZE = 320; // CSS pixels of the plot's side
const MARGIN = 10;
const SAMPLES = 500;
const NEAR = 8; // pixels from a point that still point at it
const MOST_CLASSES = 40; // more distinct labels than this: a value, coloured on a scale

interface Placed {
  x: Float32Array;
  y: Float32Array;
  labels: ArrayLike<number>;
  classes: boolean;
  low: number;
  high: number;
}

function place(data: Embedding): Placed {
  const points = decodeArray(data.points).values;
  const labels = decodeArray(data.labels).values;
  const n = labels.length;
  let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
  for (let i = 0; i < n; i++) {
    x0 = Math.min(x0, points[2 * i]); x1 = Math.max(x1, points[2 * i]);
    y0 = Math.min(y0, points[2 * i + 1]); y1 = Math.max(y1, points[2 * i + 1]);
  }
  const x = new Float32Array(n);
  const y = new Float32Array(n);
  const span = SIZE - 2 * MARGIN;
  for (let i = 0; i < n; i++) {
    x[i] = MARGIN + (span * (points[2 * i] - x0)) / (x1 - x0 || 1);
    y[i] = SIZE - MARGIN - (span * (points[2 * i + 1] - y0)) / (y1 - y0 || 1);
  }
  const distinct = new Set(Array.from(labels));
  const classes = distinct.size <= MOST_CLASSES && Array.from(distinct).every((v) => Number.isInteger(v) && v >= 0);
  let [low, high] = [Infinity, -Infinity];
  for (const v of distinct) { low = Math.min(low, v); high = Math.max(high, v); }
  return { x, y, labels, classes, low, high };
}

function colourOf(placed: Placed, label: number): string {
  if (placed.classes) return runColour(label);
  const rgb = viridis((label - placed.low) / (placed.high - placed.low || 1));
  return `rgb(${rgb.map(Math.round).join(" ")})`;
}

export function EmbeddingView({ runId, layers }: { runId: string; layers: string[] }) {
  const { t } = useTranslation("inspect");
  const [layer, setLayer] = useState(layers[Math.max(0, layers.length - 2)] ?? "");
  const [method, setMethod] = useState<Method>("pca");
  const { data, error, loading } = useView<Embedding>(
    () => unwrap(inspectEmbedding({ ...forRun(runId), query: { layer, samples: SAMPLES, method } })), `embedding:${layer}:${method}`);
  const canvas = useRef<HTMLCanvasElement>(null);
  const [placed, setPlaced] = useState<Placed | null>(null);
  const [hovered, setHovered] = useState<number | null>(null);
  const names = data?.class_names ?? null;
  useEffect(() => {
    const drawn = data ? place(data) : null;
    setPlaced(drawn);
    setHovered(null);
    const element = canvas.current;
    if (!element) return;
    const ratio = window.devicePixelRatio || 1;
    element.width = SIZE * ratio;
    element.height = SIZE * ratio;
    const context = element.getContext("2d")!;
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    context.clearRect(0, 0, SIZE, SIZE);
    if (!drawn) return;
    for (let i = 0; i < drawn.labels.length; i++) {
      context.fillStyle = colourOf(drawn, drawn.labels[i]);
      context.beginPath();
      context.arc(drawn.x[i], drawn.y[i], 2.5, 0, 2 * Math.PI);
      context.fill();
    }
  }, [data]);
  const point = (e: React.PointerEvent<HTMLCanvasElement>) => {
    if (!placed) return;
    const box = e.currentTarget.getBoundingClientRect();
    const [px, py] = [e.clientX - box.left, e.clientY - box.top];
    let best: number | null = null;
    let bestDistance = NEAR * NEAR;
    for (let i = 0; i < placed.labels.length; i++) {
      const d = (placed.x[i] - px) ** 2 + (placed.y[i] - py) ** 2;
      if (d <= bestDistance) { best = i; bestDistance = d; }
    }
    setHovered(best);
  };
  const classes = placed?.classes ? Array.from(new Set(Array.from(placed.labels))).sort((a, b) => a - b) : [];
  return (
    <div className="view" data-testid="embedding-view">
      <div className="controls">
        <label>{t("embedding.layer")}{" "}
          <select value={layer} onChange={(e) => setLayer(e.target.value)}>
            {layers.map((l) => <option key={l} value={l}>{l}</option>)}
          </select>
        </label>
        <label>{t("embedding.method")}{" "}
          <select value={method} onChange={(e) => setMethod(e.target.value as Method)} aria-label={t("embedding.method")}>
            <option value="pca">{t("embedding.pca")}</option>
            <option value="tsne">{t("embedding.tsne")}</option>
          </select>
        </label>
      </div>
      {loading && method === "tsne" ? <Computing /> : <Status error={error} loading={loading} />}
      <div className="embedding-body">
        <div className="embedding-plot">
          <canvas ref={canvas} className="embedding" style={{ width: SIZE, height: SIZE }} data-testid="embedding-canvas"
            onPointerMove={point} onPointerLeave={() => setHovered(null)} />
          {placed && hovered !== null && (
            <PointSample runId={runId} index={hovered} x={placed.x[hovered]} y={placed.y[hovered]} />
          )}
        </div>
        {placed && (placed.classes ? (
          <ul className="class-legend" data-testid="class-legend" aria-label={t("embedding.legend")}>
            {classes.map((c) => (
              <li key={c}><span className="swatch" style={{ background: colourOf(placed, c) }} />{names?.[c] ?? String(c)}</li>
            ))}
          </ul>
        ) : <Legend scale="viridis" low={placed.low} high={placed.high} label={t("embedding.value")} />)}
      </div>
      {data && (
        <p className="muted">
          {data.method === "tsne" ? t("embedding.tsneSummary", { dimensions: data.dimensions, samples: placed?.labels.length ?? 0 })
            : t("embedding.projection", {
              dimensions: data.dimensions, first: percent(data.explained[0] ?? 0), second: percent(data.explained[1] ?? 0),
            })}
        </p>
      )}
    </div>
  );
}

/** A progress state for the seconds t-SNE takes. */
function Computing() {
  const { t } = useTranslation("inspect");
  const [seconds, setSeconds] = useState(0);
  useEffect(() => {
    const started = performance.now();
    const timer = window.setInterval(() => setSeconds((performance.now() - started) / 1000), 200);
    return () => window.clearInterval(timer);
  }, []);
  return (
    <p className="muted" role="status" data-testid="computing">
      <progress aria-label={t("embedding.computing")} /> {t("embedding.computing")}{" "}
      {t("embedding.elapsed", { seconds: fixed(seconds, 1) })}
    </p>
  );
}

function PointSample({ runId, index, x, y }: { runId: string; index: number; x: number; y: number }) {
  const { t } = useTranslation("inspect");
  const { data } = useView<Sample>(() => unwrap(inspectSample({ ...forRun(runId), query: { split: "test", index } })), `sample:test:${index}`);
  return (
    <div className="point-sample" role="tooltip" data-testid="point-sample" style={{ left: x + 12, top: y + 12 }}>
      {data?.input && !data.text && <InputImage input={data.input} size={56} />}
      {data?.text && <code>{data.text.slice(0, 80)}</code>}
      <div>{t("embedding.sample", { index, label: data?.label_name ?? (data?.label ?? "…") })}</div>
    </div>
  );
}
