// Points placed by hand: the option of a dataset whose schema marks it `x-editor: points`
// (the "drawn" set), edited on the plane [-1, 1]² as TensorFlow Playground's users asked:
// a click adds a point of the chosen class, a click on a point removes it. The points are
// the dataset's options, so they travel with the run's settings.
import { useEffect, useRef, useState, type MouseEvent } from "react";
import { useTranslation } from "react-i18next";
import { CLASS_COLOURS } from "./DatasetPreview";

export type DrawnPoint = [number, number, number]; // x, y, class id

const SIDE = 220; // the plane's square, in CSS pixels
const DOT = 4;
const MAX_POINTS = 500; // as the server takes them (app.datasets.drawn)
const MAX_CLASSES = 10;

/** The option that holds the points, if the dataset's options schema has one. */
export function pointsOption(schema: { properties?: Record<string, unknown> }): string | null {
  const found = Object.entries(schema.properties ?? {})
    .find(([, field]) => (field as { "x-editor"?: string })["x-editor"] === "points");
  return found ? found[0] : null;
}

const toPixel = (v: number) => ((v + 1) / 2) * SIDE;
const toPlane = (px: number) => Math.round(((px / SIDE) * 2 - 1) * 1000) / 1000;

export function PointsEditor({ points, onChange }: { points: DrawnPoint[]; onChange: (points: DrawnPoint[]) => void }) {
  const { t } = useTranslation("train");
  const canvas = useRef<HTMLCanvasElement>(null);
  const [chosen, setChosen] = useState(0);
  const classes = Math.min(MAX_CLASSES, Math.max(2, chosen + 1, ...points.map(([, , c]) => c + 1)));
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
    for (const [x, y, label] of points) {
      context.fillStyle = CLASS_COLOURS[label % CLASS_COLOURS.length];
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
    else if (points.length < MAX_POINTS) onChange([...points, [toPlane(px), toPlane(SIDE - py), chosen]]);
  };
  const valid = points.length >= 4 && new Set(points.map(([, , c]) => c)).size >= 2;
  return (
    <figure className="points-editor" data-testid="points-editor">
      <canvas ref={canvas} onClick={click} style={{ width: SIDE, height: SIDE }} data-points={points.length}
        aria-label={t("points.label")} data-testid="points-canvas" />
      <figcaption>
        {Array.from({ length: classes }, (_, id) => (
          <button key={id} type="button" className="class-chip" aria-pressed={id === chosen} onClick={() => setChosen(id)}
            style={{ borderColor: CLASS_COLOURS[id], color: CLASS_COLOURS[id] }}>{t("points.class", { id })}</button>
        ))}
        {classes < MAX_CLASSES && (
          <button type="button" className="link" onClick={() => setChosen(classes)}>{t("points.addClass")}</button>
        )}
        {" "}<button type="button" className="link" onClick={() => onChange([])}>{t("points.clear")}</button>
        {" "}<span className="muted" data-testid="points-count">{t("points.count", { count: points.length })}</span>
        <br /><small className={valid ? "hint" : "error"} role={valid ? undefined : "alert"}>
          {valid ? t("points.hint") : t("points.tooFew")}</small>
      </figcaption>
    </figure>
  );
}
