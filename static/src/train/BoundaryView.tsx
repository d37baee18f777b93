// The decision boundary of a 2-D model, drawn into a canvas: each grid cell coloured by
// its predicted class, paler where the model is unsure; the data points on top.
import { useEffect, useRef } from "react";
import { decodeArray, type BoundaryGrid } from "../api/client";

const CLASS_COLOURS = [[37, 99, 235], [234, 88, 12], [5, 150, 105], [124, 58, 237], [219, 39, 119]];
const SIZE = 220;

export function BoundaryView({ grid }: { grid: BoundaryGrid }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const context = canvas.current!.getContext("2d")!;
    const n = grid.resolution;
    const predicted = decodeArray(grid.predicted).values;
    const confidence = grid.confidence ? decodeArray(grid.confidence).values : null;
    const cells = document.createElement("canvas");
    cells.width = n;
    cells.height = n;
    const image = cells.getContext("2d")!.createImageData(n, n);
    for (let row = 0; row < n; row++) {
      for (let col = 0; col < n; col++) {
        const i = row * n + col;
        const at = 4 * ((n - 1 - row) * n + col); // row 0 is the bottom of the plane
        const colour = CLASS_COLOURS[predicted[i] % CLASS_COLOURS.length];
        const strength = confidence ? Math.max(0, (confidence[i] / 255 - 0.5) * 2) : 0.5;
        for (let k = 0; k < 3; k++) image.data[at + k] = 255 - (255 - colour[k]) * (0.15 + 0.45 * strength);
        image.data[at + 3] = 255;
      }
    }
    cells.getContext("2d")!.putImageData(image, 0, 0);
    context.imageSmoothingEnabled = true;
    context.drawImage(cells, 0, 0, SIZE, SIZE);
    const points = decodeArray(grid.points).values;
    const labels = decodeArray(grid.labels).values;
    const [x0, x1] = grid.x_range;
    const [y0, y1] = grid.y_range;
    for (let i = 0; i < labels.length; i++) {
      const x = ((points[2 * i] - x0) / (x1 - x0)) * SIZE;
      const y = SIZE - ((points[2 * i + 1] - y0) / (y1 - y0)) * SIZE;
      const colour = CLASS_COLOURS[labels[i] % CLASS_COLOURS.length];
      context.fillStyle = `rgb(${colour.join(",")})`;
      context.strokeStyle = "#fff";
      context.beginPath();
      context.arc(x, y, 2.5, 0, 2 * Math.PI);
      context.fill();
      context.stroke();
    }
  }, [grid]);
  return <canvas ref={canvas} width={SIZE} height={SIZE} className="boundary" data-testid="boundary" />;
}
