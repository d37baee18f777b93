// The two colour scales: diverging blue–white–orange for signed values (weights,
// activations, saliency) and viridis for attention, probabilities and counts.
const VIRIDIS = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
const BLUE = [37, 99, 235];
const ORANGE = [234, 88, 12];

function mix(a: number[], b: number[], t: number): number[] {
  return a.map((v, i) => v + (b[i] - v) * t);
}

/** t in [-1, 1]: blue for negative, white for zero, orange for positive. */
export function diverging(t: number): number[] {
  const c = Math.max(-1, Math.min(1, Number.isFinite(t) ? t : 0));
  return c < 0 ? mix([255, 255, 255], BLUE, -c) : mix([255, 255, 255], ORANGE, c);
}

/** t in [0, 1]. */
export function viridis(t: number): number[] {
  const c = Math.max(0, Math.min(1, Number.isFinite(t) ? t : 0)) * (VIRIDIS.length - 1);
  const i = Math.min(Math.floor(c), VIRIDIS.length - 2);
  return mix(VIRIDIS[i], VIRIDIS[i + 1], c - i);
}

export type Scale = "diverging" | "viridis";

/** Paint rows×cols values into a canvas of that size (CSS scales it up, pixelated). */
export function paint(canvas: HTMLCanvasElement, values: ArrayLike<number>, offset: number, rows: number,
  cols: number, scale: Scale, low: number, high: number): void {
  canvas.width = cols;
  canvas.height = rows;
  const context = canvas.getContext("2d")!;
  const image = context.createImageData(cols, rows);
  const extent = Math.max(Math.abs(low), Math.abs(high)) || 1;
  for (let i = 0; i < rows * cols; i++) {
    const v = values[offset + i];
    const colour = scale === "diverging" ? diverging(v / extent) : viridis((v - low) / (high - low || 1));
    image.data.set([colour[0], colour[1], colour[2], 255], 4 * i);
  }
  context.putImageData(image, 0, 0);
}
