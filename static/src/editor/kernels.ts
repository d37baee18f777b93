// A convolution's kernel set by hand: the presets, and the grids of its spec's
// `weights.kernel` (filters x channels x height x width, or the grid alone for one
// filter over one channel). Pure: no DOM.
export type Grid = number[][];

export const PRESETS = ["identity", "laplacian", "sobelX", "boxBlur"] as const;
export type Preset = (typeof PRESETS)[number];

/** Kernels larger than this per channel, or with more grids, are edited as JSON. */
export const MAX_SIDE = 7;
export const MAX_GRIDS = 16;

const FIXED: Partial<Record<Preset, Grid>> = {
  laplacian: [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
  sobelX: [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
};

/** The preset as an h x w grid; Laplacian and Sobel x exist as 3 x 3 only. */
export function presetGrid(preset: Preset, h: number, w: number): Grid {
  const fixed = FIXED[preset];
  if (fixed) return fixed.map((row) => [...row]);
  if (preset === "boxBlur") return Array.from({ length: h }, () => Array<number>(w).fill(round(1 / (h * w))));
  const centre = [Math.floor(h / 2), Math.floor(w / 2)];
  return Array.from({ length: h }, (_, i) => Array.from({ length: w }, (_, j) => (i === centre[0] && j === centre[1] ? 1 : 0)));
}

/** The kernel's size [h, w] from the layer's kernel_size (k or [kh, kw]). */
export function kernelSize(value: unknown): [number, number] {
  if (Array.isArray(value) && value.length === 2) return [Number(value[0]), Number(value[1])];
  const k = typeof value === "number" ? value : 3;
  return [k, k];
}

/** The spec's kernel as filters x channels grids of h x w (missing values: 0). */
export function toGrids(kernel: unknown, filters: number, channels: number, h: number, w: number): Grid[][] {
  const full = isGrid(kernel) ? [[kernel]] : Array.isArray(kernel) ? (kernel as unknown[][]) : [];
  return Array.from({ length: filters }, (_, f) => Array.from({ length: channels }, (_, c) => {
    const given = full[f]?.[c];
    return Array.from({ length: h }, (_, i) => Array.from({ length: w }, (_, j) => {
      const v = Array.isArray(given) ? (given[i] as unknown[] | undefined)?.[j] : undefined;
      return typeof v === "number" ? v : 0;
    }));
  }));
}

/** The grids as the spec's kernel: the grid alone for one filter over one channel. */
export function fromGrids(grids: Grid[][]): Grid | Grid[][] {
  return grids.length === 1 && grids[0].length === 1 ? grids[0][0] : grids;
}

function isGrid(value: unknown): value is Grid {
  return Array.isArray(value) && value.length > 0 && Array.isArray(value[0]) && typeof value[0][0] === "number";
}

function round(v: number): number {
  return Math.round(v * 1e4) / 1e4;
}
