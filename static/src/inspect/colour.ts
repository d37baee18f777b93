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

/** Paint one picture, (channels, height, width) with 1 or 3 channels of values in [0, 1],
 * read from `values` at `offset`, into a canvas of that size (CSS scales it up,
 * pixelated). An attribution of the same layout is drawn over it: blue negative,
 * orange positive, opaque where strong. */
export function paintImage(canvas: HTMLCanvasElement, values: ArrayLike<number>, offset: number,
  [channels, height, width]: number[], attribution?: ArrayLike<number> | null): void {
  const plane = height * width;
  let extent = 1e-12;
  if (attribution) for (let i = 0; i < attribution.length; i++) extent = Math.max(extent, Math.abs(attribution[i]));
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext("2d")!;
  const pixels = context.createImageData(width, height);
  for (let p = 0; p < plane; p++) {
    let rgb = [0, 1, 2].map((k) => 255 * Math.min(1, Math.max(0, values[offset + (channels === 3 ? k : 0) * plane + p])));
    if (attribution) {
      let a = 0;
      for (let k = 0; k < channels; k++) a += attribution[k * plane + p];
      const strength = Math.min(1, Math.abs(a) / extent);
      const colour = diverging(a / extent);
      rgb = rgb.map((v, k) => v * 0.35 * (1 - strength) + colour[k] * strength);
    }
    pixels.data.set([rgb[0], rgb[1], rgb[2], 255], 4 * p);
  }
  context.putImageData(pixels, 0, 0);
}
