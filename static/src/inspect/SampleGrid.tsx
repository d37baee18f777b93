// A GAN's samples: a grid of pictures (N, C, H, W), or for 2-D toy data one scatter of
// the generated points (orange) over real ones (blue). Each picture is its own <canvas>.
import { useEffect, useMemo, useRef } from "react";
import { decodeArray, type EncodedArray } from "../api/client";
import { Heatmap } from "./Heatmap";
import { paintImage } from "./colour";

const GENERATED = "#ea580c";
const REAL = "#2563eb";

/** Whether samples are 2-D points, (N, 2), drawn as a scatter rather than a grid. */
export function arePoints(array: EncodedArray): boolean {
  return array.shape.length === 2 && array.shape[1] === 2;
}

function Picture({ values, offset, dims, size }: { values: ArrayLike<number>; offset: number; dims: number[]; size: number }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => paintImage(canvas.current!, values, offset, dims),
    [values, offset, dims.join()]); // eslint-disable-line react-hooks/exhaustive-deps
  return <canvas ref={canvas} className="input-image" style={{ width: size, height: size }} />;
}

interface GridProps {
  array: EncodedArray; // (N, *sample shape)
  size?: number; // CSS pixels of each picture
  testId: string;
}

/** Samples side by side in a square-ish grid: images as pictures, anything else as a
 * heatmap of its last two dimensions (one row for a vector). */
export function SampleGrid({ array, size = 26, testId }: GridProps) {
  const { shape, values } = useMemo(() => decodeArray(array), [array]);
  const [n, ...dims] = shape;
  const per = dims.reduce((a, b) => a * b, 1);
  const image = dims.length === 3 && (dims[0] === 1 || dims[0] === 3);
  const [rows, cols] = dims.length >= 2 ? dims.slice(-2) : [1, dims[0] ?? 1];
  const extent = useMemo(() => {
    let e = 1e-6;
    for (const v of values) if (Number.isFinite(v)) e = Math.max(e, Math.abs(v));
    return e;
  }, [values]);
  return (
    <div className="image-grid" data-testid={testId}
      style={{ gridTemplateColumns: `repeat(${Math.ceil(Math.sqrt(n))}, auto)` }}>
      {Array.from({ length: n }, (_, i) => (image
        ? <Picture key={i} values={values} offset={i * per} dims={dims} size={size} />
        : <Heatmap key={i} values={values} offset={i * per} rows={rows} cols={cols} scale="diverging"
            low={-extent} high={extent} size={size} />))}
    </div>
  );
}

interface ScatterProps {
  samples: EncodedArray; // (N, 2)
  real?: EncodedArray | null; // (M, 2), drawn first, under the generated points
  size?: number;
  testId: string;
}

/** Generated points (orange) over real ones (blue) on one canvas, both on one scale. */
export function SampleScatter({ samples, real, size = 220, testId }: ScatterProps) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const sets = [real ? decodeArray(real).values : null, decodeArray(samples).values];
    let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
    for (const points of sets) {
      for (let i = 0; points && i + 1 < points.length; i += 2) {
        if (!Number.isFinite(points[i]) || !Number.isFinite(points[i + 1])) continue;
        x0 = Math.min(x0, points[i]); x1 = Math.max(x1, points[i]);
        y0 = Math.min(y0, points[i + 1]); y1 = Math.max(y1, points[i + 1]);
      }
    }
    const span = Math.max(x1 - x0, y1 - y0, 1e-6); // one scale for both axes: shapes stay true
    const [cx, cy] = [(x0 + x1) / 2, (y0 + y1) / 2];
    const at = (v: number, c: number) => size / 2 + ((v - c) / span) * (size - 20);
    const context = canvas.current!.getContext("2d")!;
    context.clearRect(0, 0, size, size);
    sets.forEach((points, s) => {
      if (!points) return;
      context.fillStyle = s === 0 ? REAL : GENERATED;
      for (let i = 0; i + 1 < points.length; i += 2) {
        context.beginPath();
        context.arc(at(points[i], cx), size - at(points[i + 1], cy), 2.5, 0, 2 * Math.PI);
        context.fill();
      }
    });
  }, [samples, real, size]);
  return <canvas ref={canvas} width={size} height={size} className="boundary" data-testid={testId}
    data-points={samples.shape[0]} data-real={real ? real.shape[0] : 0} />;
}
