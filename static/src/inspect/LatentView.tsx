// A VAE's latent space: where the test samples land (coloured by label), what a grid over
// the latent plane decodes to, and the way from one sample to another.
import { useEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { decodeArray, unwrap, type Schemas } from "../api/client";
import { inspectInterpolate, inspectLatent, inspectLatentGrid } from "../api/gen";
import { Heatmap } from "./Heatmap";
import { failure, forRun } from "./inspectApi";

type Latent = Schemas["LatentOut"];
type Decoded = Schemas["DecodedOut"];

const EXTENT = 3; // the decoded grid spans -EXTENT..EXTENT on both latent axes

/** Decoded images as heatmaps: (N, C, H, W) or (N, H, W), the first channel of each. */
function Images({ data, columns, testId }: { data: Decoded; columns: number; testId: string }) {
  const { shape, values } = decodeArray(data.images);
  const [n, ...rest] = shape;
  const [rows, cols] = rest.length >= 2 ? rest.slice(-2) : [1, rest[0] ?? 1];
  const size = rest.reduce((a, b) => a * b, 1);
  const [low, high] = data.squashed ? [0, 1] : [Math.min(...values), Math.max(...values)];
  return (
    <div className="image-grid" style={{ gridTemplateColumns: `repeat(${columns}, auto)` }} data-testid={testId}>
      {Array.from({ length: n }, (_, i) => (
        <Heatmap key={i} values={values} offset={i * size} rows={rows} cols={cols} scale="viridis" low={low} high={high} size={36} />
      ))}
    </div>
  );
}

function Scatter({ data }: { data: Latent }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const { shape, values } = decodeArray(data.points);
    const width = shape[1] ?? 1;
    const context = canvas.current!.getContext("2d")!;
    context.clearRect(0, 0, 260, 260);
    let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
    for (let i = 0; i < shape[0]; i++) {
      const [x, y] = [values[i * width], values[i * width + 1] ?? 0];
      x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
    }
    for (let i = 0; i < shape[0]; i++) {
      const [x, y] = [values[i * width], values[i * width + 1] ?? 0];
      context.fillStyle = `hsl(${((data.labels?.[i] ?? 0) * 37) % 360} 70% 45%)`;
      context.beginPath();
      context.arc(10 + (240 * (x - x0)) / (x1 - x0 || 1), 250 - (240 * (y - y0)) / (y1 - y0 || 1), 2.5, 0, 2 * Math.PI);
      context.fill();
    }
  }, [data]);
  return <canvas ref={canvas} width={260} height={260} className="embedding" data-testid="latent-scatter"
    data-points={decodeArray(data.points).shape[0]} />;
}

export function LatentView({ runId }: { runId: string }) {
  const { t } = useTranslation("inspect");
  const [latent, setLatent] = useState<Latent | null>(null);
  const [grid, setGrid] = useState<Decoded | null>(null);
  const [line, setLine] = useState<Decoded | null>(null);
  const [ends, setEnds] = useState<[number, number]>([0, 1]);
  const [error, setError] = useState<string | null>(null);
  const steps = 12;
  useEffect(() => {
    let live = true;
    Promise.all([
      unwrap(inspectLatent({ ...forRun(runId), query: { samples: 1000 } })),
      unwrap(inspectLatentGrid({ ...forRun(runId), query: { steps, extent: EXTENT } })),
    ]).then(([points, decoded]) => { if (live) { setLatent(points); setGrid(decoded); } })
      .catch((e: unknown) => live && setError(failure(e)));
    return () => { live = false; };
  }, [runId]);
  const interpolate = () => {
    setError(null);
    unwrap(inspectInterpolate({ ...forRun(runId), body: { a: ends[0], b: ends[1], steps: 10 } }))
      .then(setLine).catch((e: unknown) => setError(failure(e)));
  };
  return (
    <div className="view latent-view" data-testid="latent-view">
      {error && <p className="error" role="alert">{error}</p>}
      <div className="latent-row">
        {latent && (
          <figure>
            <figcaption>{t("latent.scatter", { layer: latent.layer })}</figcaption>
            <Scatter data={latent} />
          </figure>
        )}
        {grid && (
          <figure>
            <figcaption>{t("latent.grid", { extent: EXTENT })}</figcaption>
            <Images data={grid} columns={steps} testId="latent-grid" />
          </figure>
        )}
      </div>
      <div className="controls">
        <label>{t("latent.from")} <input type="number" min={0} value={ends[0]} aria-label={t("latent.fromLabel")}
          onChange={(e) => setEnds([Math.max(0, Number(e.target.value) || 0), ends[1]])} /></label>
        <label>{t("latent.to")} <input type="number" min={0} value={ends[1]} aria-label={t("latent.toLabel")}
          onChange={(e) => setEnds([ends[0], Math.max(0, Number(e.target.value) || 0)])} /></label>
        <button type="button" onClick={interpolate}>{t("latent.interpolate")}</button>
      </div>
      {line && <Images data={line} columns={10} testId="interpolation" />}
    </div>
  );
}
