// One heatmap on a <canvas> (never a DOM node per cell).
import { useEffect, useRef } from "react";
import { paint, type Scale } from "./colour";

interface Props {
  values: ArrayLike<number>;
  offset?: number;
  rows: number;
  cols: number;
  scale: Scale;
  low: number;
  high: number;
  size?: number; // CSS pixels of the longer side
  title?: string;
}

export function Heatmap({ values, offset = 0, rows, cols, scale, low, high, size = 48, title }: Props) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => paint(canvas.current!, values, offset, rows, cols, scale, low, high),
    [values, offset, rows, cols, scale, low, high]);
  const ratio = size / Math.max(rows, cols);
  return <canvas ref={canvas} className="heatmap" title={title}
    style={{ width: Math.max(1, Math.round(cols * ratio)), height: Math.max(1, Math.round(rows * ratio)) }} />;
}
