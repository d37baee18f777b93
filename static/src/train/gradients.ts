// The gradient chart's lines: one per trainable layer, from the grad_norm/<layer> columns
// each epoch reports, first layer blue to last layer orange. No DOM here.
import type { Columns } from "./stream";

const PREFIX = "grad_norm/";

export interface GradientLine {
  layer: string;
  y: (number | null)[];
  colour: string;
}

/** A line per layer, in the order of `layers` (the network's layer ids; the stored metrics
 * come by name). A norm of 0 (a layer whose units all died) has no place on a log scale:
 * it is left as a gap. */
export function gradientLines(epochs: Columns, layers: string[]): GradientLine[] {
  const at = (name: string) => {
    const i = layers.indexOf(name.slice(PREFIX.length));
    return i < 0 ? layers.length : i;
  };
  const names = Object.keys(epochs).filter((name) => name.startsWith(PREFIX)).sort((a, b) => at(a) - at(b));
  return names.map((name, i) => ({
    layer: name.slice(PREFIX.length),
    y: (epochs[name] ?? []).map((v) => (v !== null && v > 0 ? v : null)),
    colour: `hsl(${Math.round(220 - (190 * i) / Math.max(1, names.length - 1))} 75% 48%)`,
  }));
}
