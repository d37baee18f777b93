// One heatmap on a <canvas> (never a DOM node per cell); optionally a cell under the
// pointer reported, and a rectangle of cells outlined (a kernel's input patch).
import { useEffect, useRef } from "react";
import { paint, type Scale } from "./colour";

export interface Cells {
  row: number;
  col: number;
  rows: number;
  cols: number;
}

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
  onCell?: (cell: { row: number; col: number } | null) => void; // the cell under the pointer
  outline?: Cells | null;
  flip?: boolean; // row 0 at the bottom (a plane's y axis), not the top
}

export function Heatmap({ values, offset = 0, rows, cols, scale, low, high, size = 48, title, onCell, outline, flip }: Props) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => paint(canvas.current!, values, offset, rows, cols, scale, low, high),
    [values, offset, rows, cols, scale, low, high]);
  const ratio = size / Math.max(rows, cols);
  const width = Math.max(1, Math.round(cols * ratio));
  const height = Math.max(1, Math.round(rows * ratio));
  const map = <canvas ref={canvas} className="heatmap" title={title} style={{ width, height, transform: flip ? "scaleY(-1)" : undefined }}
    onPointerMove={onCell && ((e) => {
      const box = e.currentTarget.getBoundingClientRect();
      const col = Math.floor(((e.clientX - box.left) / box.width) * cols);
      const row = Math.floor(((e.clientY - box.top) / box.height) * rows);
      onCell(row >= 0 && row < rows && col >= 0 && col < cols ? { row, col } : null);
    })}
    onPointerLeave={onCell && (() => onCell(null))} />;
  if (outline === undefined) return map;
  return (
    <span className="heatmap-frame" style={{ width, height }}>
      {map}
      {outline && (
        <span className="outline" data-testid="patch" style={{
          left: (outline.col * width) / cols, top: (outline.row * height) / rows,
          width: (outline.cols * width) / cols, height: (outline.rows * height) / rows,
        }} />
      )}
    </span>
  );
}
