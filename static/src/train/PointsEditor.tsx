// Points placed by hand: the option of a dataset whose schema marks it `x-editor: points`
// (the "drawn" set: [x, y, class]) or `x-editor: curve` (the "drawn-curve" set: [x, y] of a
// curve to fit), edited on the plane [-1, 1]² as TensorFlow Playground's users asked: a
// click adds a point (of the chosen class), a click on a point removes it. The points are
// the dataset's options, so they travel with the run's settings.
import { useEffect, useRef, useState, type MouseEvent } from "react";
import { useTranslation } from "react-i18next";
import { CLASS_COLOURS } from "./DatasetPreview";

export type DrawnPoint = [number, number, number] | [number, number]; // x, y, class id (none on a curve)
export type PointsMode = "points" | "curve";

const SIDE = 220; // the plane's square, in CSS pixels
const DOT = 4;
const MAX_POINTS = 500; // as the server takes them (app.datasets.drawn)
const MAX_CLASSES = 10;

/** The option that holds the points and how they are placed, if the dataset's options
 * schema has one. */
export function pointsOption(schema: { properties?: Record<string, unknown> }): { key: string; mode: PointsMode } | null {
  for (const [key, field] of Object.entries(schema.properties ?? {})) {
    const editor = (field as { "x-editor"?: string })["x-editor"];
    if (editor === "points" || editor === "curve") return { key, mode: editor };
  }
  return null;
}

const toPixel = (v: number) => ((v + 1) / 2) * SIDE;
const toPlane = (px: number) => Math.round(((px / SIDE) * 2 - 1) * 1000) / 1000;

interface Props {
  points: DrawnPoint[];
  mode: PointsMode;
  onChange: (points: DrawnPoint[]) => void;
}

const label = (point: DrawnPoint) => point[2] ?? 0;

export function PointsEditor({ points, mode, onChange }: Props) {
  const { t } = useTranslation("train");
  const canvas = useRef<HTMLCanvasElement>(null);
  const [chosen, setChosen] = useState(0);
  const curve = mode === "curve";
  const classes = Math.min(MAX_CLASSES, Math.max(2, chosen + 1, ...points.map((p) => label(p) + 1)));
  useEffect(() => {
    const c = canvas.current!;
    const scale = window.devicePixelRatio || 1;
    c.width = SIDE * scale;
    c.height = SIDE * scale;
    const context = c.getContext("2d")!;
    context.scale(scale, scale);
    context.clearRect(0, 0, SIDE, SIDE);
    context.strokeStyle = "#9ca3af";
    context.beginPath(); // the axes
    context.moveTo(SIDE / 2, 0); context.lineTo(SIDE / 2, SIDE);
    context.moveTo(0, SIDE / 2); context.lineTo(SIDE, SIDE / 2);
    context.stroke();
    for (const point of points) {
      const [x, y] = point;
      context.fillStyle = CLASS_COLOURS[label(point) % CLASS_COLOURS.length];
      context.beginPath();
      context.arc(toPixel(x), SIDE - toPixel(y), DOT, 0, 2 * Math.PI);
      context.fill();
    }
  }, [points]);
  const click = (event: MouseEvent<HTMLCanvasElement>) => {
    const box = event.currentTarget.getBoundingClientRect();
    const [px, py] = [event.clientX - box.left, event.clientY - box.top];
    const hit = points.findIndex(([x, y]) => Math.hypot(toPixel(x) - px, SIDE - toPixel(y) - py) <= DOT + 2);
    if (hit >= 0) onChange(points.filter((_, i) => i !== hit));
    else if (points.length < MAX_POINTS) {
      const [x, y] = [toPlane(px), toPlane(SIDE - py)];
      onChange([...points, curve ? [x, y] : [x, y, chosen]]);
    }
  };
  const valid = points.length >= 4 && (curve || new Set(points.map(label)).size >= 2);
  return (
    <figure className="points-editor" data-testid="points-editor">
      <canvas ref={canvas} onClick={click} style={{ width: SIDE, height: SIDE }} data-points={points.length}
        aria-label={t("points.label")} data-testid="points-canvas" />
      <figcaption>
        {!curve && Array.from({ length: classes }, (_, id) => (
          <button key={id} type="button" className="class-chip" aria-pressed={id === chosen} onClick={() => setChosen(id)}
            style={{ borderColor: CLASS_COLOURS[id], color: CLASS_COLOURS[id] }}>{t("points.class", { id })}</button>
        ))}
        {!curve && classes < MAX_CLASSES && (
          <button type="button" className="link" onClick={() => setChosen(classes)}>{t("points.addClass")}</button>
        )}
        {" "}<button type="button" className="link" onClick={() => onChange([])}>{t("points.clear")}</button>
        {" "}<span className="muted" data-testid="points-count">{t("points.count", { count: points.length })}</span>
        <br /><small className={valid ? "hint" : "error"} role={valid ? undefined : "alert"}>
          {curve ? t(valid ? "points.curveHint" : "points.curveTooFew") : t(valid ? "points.hint" : "points.tooFew")}</small>
      </figcaption>
    </figure>
  );
}
