// The decision boundary of a 2-D model, drawn into a canvas: each grid cell coloured by
// its predicted class, fading into the panel's own colour where the model is unsure (toward
// white in the light theme, toward the dark panel in the dark one); the data points on top.
import { useEffect, useRef } from "react";
import { decodeArray, type BoundaryGrid } from "../api/client";
import { diverging } from "../inspect/colour";
import { rgbOf, useThemeColours } from "../theme";

const CLASS_COLOURS = [[37, 99, 235], [234, 88, 12], [5, 150, 105], [124, 58, 237], [219, 39, 119]];
const SIZE = 220;

export function BoundaryView({ grid }: { grid: BoundaryGrid }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const { panel } = useThemeColours();
  useEffect(() => {
    const base = rgbOf(panel);
    const toward = (colour: number[], strength: number) => colour.map((c, k) => base[k] + (c - base[k]) * strength);
    const context = canvas.current!.getContext("2d")!;
    const n = grid.resolution;
    const predicted = decodeArray(grid.predicted).values;
    const confidence = grid.confidence ? decodeArray(grid.confidence).values : null;
    const cells = document.createElement("canvas");
    cells.width = n;
    cells.height = n;
    const image = cells.getContext("2d")!.createImageData(n, n);
    // a classifier: class colours, fainter where unsure; a regressor: its value on the
    // diverging scale (blue low, orange high, the panel's colour at zero) over the range of
    // values shown
    const regression = !grid.confidence;
    let extent = 1e-12;
    if (regression) for (const v of predicted) extent = Math.max(extent, Math.abs(v));
    const colourOf = (value: number, strength = 1) => {
      if (regression) return toward(diverging(Math.sign(value)), Math.min(1, Math.abs(value) / extent));
      const colour = CLASS_COLOURS[Math.round(value) % CLASS_COLOURS.length];
      return toward(colour, 0.15 + 0.45 * strength);
    };
    for (let row = 0; row < n; row++) {
      for (let col = 0; col < n; col++) {
        const i = row * n + col;
        const at = 4 * ((n - 1 - row) * n + col); // row 0 is the bottom of the plane
        const strength = confidence ? Math.max(0, (confidence[i] / 255 - 0.5) * 2) : 1;
        const colour = colourOf(predicted[i], strength);
        image.data.set([colour[0], colour[1], colour[2], 255], at);
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
      const colour = regression ? diverging(labels[i] / extent) : CLASS_COLOURS[Math.round(labels[i]) % CLASS_COLOURS.length];
      context.fillStyle = `rgb(${colour.map(Math.round).join(",")})`;
      context.strokeStyle = panel;
      context.beginPath();
      context.arc(x, y, 2.5, 0, 2 * Math.PI);
      context.fill();
      context.stroke();
    }
  }, [grid, panel]);
  return <canvas ref={canvas} width={SIZE} height={SIZE} className="boundary" data-testid="boundary" />;
}
