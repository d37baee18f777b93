// Draw a digit: strokes are joined lines through every pointer position the browser saw
// (coalesced events too), so a fast stroke is a line, not dots; the prediction follows
// the drawing as it goes (one request at a time, the latest drawing next).
import { useEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { unwrap, type Schemas } from "../api/client";
import { inspectDraw } from "../api/gen";
import { percent } from "../format";
import { failure, forRun } from "./inspectApi";

type Prediction = Schemas["PredictOut"];

const SIDE = 280; // the canvas's pixels: 10 per pixel of a 28×28 digit
const PEN = 22; // the pen's width in canvas pixels

export function DrawView({ runId }: { runId: string }) {
  const { t } = useTranslation("inspect");
  const canvas = useRef<HTMLCanvasElement>(null);
  const last = useRef<{ x: number; y: number } | null>(null);
  const asking = useRef(false); // a prediction is on its way
  const changed = useRef(false); // drawn since that prediction was asked for
  const [result, setResult] = useState<Prediction | null>(null);
  const [error, setError] = useState<string | null>(null);
  const context = () => canvas.current!.getContext("2d")!;
  const clear = () => {
    const c = context();
    c.fillStyle = "#000";
    c.fillRect(0, 0, SIDE, SIDE);
    changed.current = false;
    setResult(null);
  };
  useEffect(clear, []);
  const predict = async () => {
    if (asking.current) { changed.current = true; return; }
    asking.current = true;
    changed.current = false;
    try {
      setError(null);
      setResult(await unwrap(inspectDraw({ ...forRun(runId), body: { png: canvas.current!.toDataURL("image/png") } })));
    } catch (e) {
      setError(failure(e));
    } finally {
      asking.current = false;
    }
    if (changed.current) void predict(); // the drawing moved on while it was asked
  };
  const at = (e: { clientX: number; clientY: number }) => {
    const box = canvas.current!.getBoundingClientRect();
    const scale = SIDE / box.width; // the canvas is drawn smaller than its pixels
    return { x: (e.clientX - box.left) * scale, y: (e.clientY - box.top) * scale };
  };
  const line = (points: { x: number; y: number }[]) => {
    const c = context();
    c.strokeStyle = "#fff";
    c.fillStyle = "#fff";
    c.lineWidth = PEN;
    c.lineCap = "round";
    c.lineJoin = "round";
    c.beginPath();
    const start = last.current ?? points[0];
    c.moveTo(start.x, start.y);
    for (const p of points) c.lineTo(p.x, p.y);
    c.stroke();
    if (!last.current) { // a tap: a dot
      c.beginPath();
      c.arc(start.x, start.y, PEN / 2, 0, 2 * Math.PI);
      c.fill();
    }
    last.current = points[points.length - 1];
  };
  const down = (e: React.PointerEvent<HTMLCanvasElement>) => {
    e.currentTarget.setPointerCapture(e.pointerId);
    last.current = null;
    line([at(e)]);
    void predict();
  };
  const move = (e: React.PointerEvent<HTMLCanvasElement>) => {
    if (!last.current) return;
    const events = e.nativeEvent.getCoalescedEvents?.() ?? [];
    line((events.length ? events : [e]).map(at));
    void predict();
  };
  const up = () => {
    if (!last.current) return;
    last.current = null;
    void predict();
  };
  return (
    <div className="view draw" data-testid="draw-view">
      <canvas ref={canvas} width={SIDE} height={SIDE} className="draw-canvas" aria-label={t("draw.canvas")}
        onPointerDown={down} onPointerMove={move} onPointerUp={up} onPointerCancel={up} />
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
