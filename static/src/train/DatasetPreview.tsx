// The chosen dataset as it is: a 2-D set's points as a scatter coloured by class with a
// legend, images as thumbnails named by class, token sequences as text (the server
// decodes them with the dataset's vocabulary), other vectors as their numbers.
import { useEffect, useRef } from "react";
import { useTranslation } from "react-i18next";
import type { DatasetDetail } from "../api/client";

type Sample = DatasetDetail["preview"][number];
type Point = [number, number, number]; // x0, x1, class id

/** One colour per class (tab10, as matplotlib draws classes). */
export const CLASS_COLOURS = ["#2563eb", "#ea580c", "#16a34a", "#dc2626", "#9333ea", "#8c564b", "#db2777",
  "#7f7f7f", "#bcbd22", "#0891b2"];
const SIDE = 220; // the scatter's square, in CSS pixels
const DOT = 2.5;

function Picture({ x }: { x: number[][][] }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const c = canvas.current!;
    const [channels, height, width] = [x.length, x[0].length, x[0][0].length];
    c.width = width;
    c.height = height;
    const context = c.getContext("2d")!;
    const image = context.createImageData(width, height);
    for (let i = 0; i < height; i++) {
      for (let j = 0; j < width; j++) {
        const at = 4 * (i * width + j);
        for (let k = 0; k < 3; k++) image.data[at + k] = 255 * Math.min(1, Math.max(0, x[channels === 3 ? k : 0][i][j]));
        image.data[at + 3] = 255;
      }
    }
    context.putImageData(image, 0, 0);
  }, [x]);
  return <canvas ref={canvas} className="sample-image" />;
}

/** The points' square bounds, with a margin, so every point lands inside the canvas. */
function bounds(points: Point[]): { lo: number; span: number } {
  let lo = Infinity, hi = -Infinity;
  for (const [a, b] of points) {
    lo = Math.min(lo, a, b);
    hi = Math.max(hi, a, b);
  }
  const span = Math.max(hi - lo, 1e-6);
  return { lo: lo - 0.05 * span, span: 1.1 * span };
}

function Scatter({ points }: { points: Point[] }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const c = canvas.current!;
    const scale = window.devicePixelRatio || 1;
    c.width = SIDE * scale;
    c.height = SIDE * scale;
    const context = c.getContext("2d")!;
    context.scale(scale, scale);
    context.clearRect(0, 0, SIDE, SIDE);
    const { lo, span } = bounds(points);
    const at = (v: number) => ((v - lo) / span) * SIDE;
    for (const [a, b, label] of points) {
      context.fillStyle = CLASS_COLOURS[label % CLASS_COLOURS.length];
      context.beginPath();
      context.arc(at(a), SIDE - at(b), DOT, 0, 2 * Math.PI);
      context.fill();
    }
  }, [points]);
  return <canvas ref={canvas} className="sample-scatter" data-testid="dataset-scatter" data-points={points.length}
    style={{ width: SIDE, height: SIDE }} />;
}

function PointsPreview({ dataset, points }: { dataset: DatasetDetail; points: Point[] }) {
  const { t } = useTranslation("train");
  const total = dataset.splits.train ?? points.length;
  const counts = new Map<number, number>();
  for (const [, , label] of points) counts.set(label, (counts.get(label) ?? 0) + 1);
  const names = dataset.class_names ?? [];
  return (
    <figure className="points-preview" data-testid="dataset-preview">
      <Scatter points={points} />
      <figcaption>
        <span className="muted">{points.length < total ? t("preview.somePoints", { shown: points.length, total })
          : t("preview.allPoints", { count: points.length })}</span>
        <ul className="legend" aria-label={t("preview.legend")} data-testid="dataset-legend">
          {[...counts.keys()].sort((a, b) => a - b).map((label) => (
            <li key={label}>
              <span className="swatch" style={{ background: CLASS_COLOURS[label % CLASS_COLOURS.length] }} />
              {t("preview.class", { name: names[label] ?? String(label), count: counts.get(label) })}
            </li>
          ))}
        </ul>
      </figcaption>
    </figure>
  );
}

/** A sample's input as words: its text (line breaks shown), else its numbers. */
function inputText(sample: Sample): string {
  if (sample.text != null) return sample.text.replace(/\n/g, "↵");
  const numbers = JSON.stringify(sample.x);
  return numbers.length > 40 ? `${numbers.slice(0, 39)}…` : numbers;
}

function targetText(sample: Sample): string {
  if (sample.label != null) return sample.label.replace(/\n/g, "↵");
  const numbers = JSON.stringify(sample.y);
  return numbers.length > 16 ? `${numbers.slice(0, 15)}…` : numbers;
}

export function DatasetPreview({ dataset }: { dataset: DatasetDetail }) {
  const { t } = useTranslation("train");
  if (dataset.points?.length) return <PointsPreview dataset={dataset} points={dataset.points} />;
  if (!dataset.preview.length) return <p className="preview-none muted" data-testid="dataset-preview">{t("preview.none")}</p>;
  const images = dataset.input_shape.length === 3;
  const text = dataset.preview.some((s) => s.text != null);
  return (
    <figure className={`dataset-preview${images ? " images" : text ? " texts" : ""}`} data-testid="dataset-preview">
      <figcaption className="muted">{t("preview.samples", { count: dataset.preview.length })}</figcaption>
      {dataset.preview.map((s, i) => (
        <figure key={i}>
          {images ? <Picture x={s.x as number[][][]} /> : <code>{inputText(s)}</code>}
          <figcaption>{targetText(s)}</figcaption>
        </figure>
      ))}
    </figure>
  );
}
