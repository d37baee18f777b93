// What a screen reader says for a node on the canvas: its id, its kind, its key settings,
// its output and its parameters, in the UI's language ("dense1, dense layer, 16 units,
// ReLU, output 16, 48 parameters").
import i18n from "../i18n";
import { entry } from "./labels";

/** The settings worth saying, in the order the node shows them. */
const SPOKEN = ["units", "filters", "kernel_size", "pool_size", "stride", "rate", "hidden_size", "num_heads",
  "dim", "activation", "mode", "shape", "dims"] as const;

function setting(key: (typeof SPOKEN)[number], value: unknown): string | null {
  if (value === undefined || value === null || value === "") return null;
  if (key === "stride" && value === 1) return null;
  if (key === "activation") {
    return entry(i18n.t("editor:spoken.activations", { returnObjects: true }), String(value)) ?? String(value);
  }
  const text = Array.isArray(value) ? value.join("×")
    : (key === "kernel_size" || key === "pool_size") ? `${value}×${value}` : String(value);
  return i18n.t(`editor:spoken.settings.${key}`, { value: text, count: typeof value === "number" ? value : 0 });
}

export interface SpokenNode {
  id: string;
  type: string;
  params: Record<string, unknown>;
  outputShape?: string;
  paramCount?: number;
}

export function spokenLayer({ id, type, params, outputShape, paramCount }: SpokenNode): string {
  const parts = [id, i18n.t("editor:spoken.layer", { type })];
  for (const key of SPOKEN) {
    const said = setting(key, params[key]);
    if (said) parts.push(said);
  }
  if (outputShape) parts.push(i18n.t("editor:spoken.output", { shape: outputShape }));
  if (paramCount !== undefined) {
    parts.push(i18n.t("editor:spoken.params", { count: paramCount, params: paramCount.toLocaleString(i18n.language) }));
  }
  return parts.join(", ");
}

export function spokenInput(shape: string): string {
  return i18n.t("editor:spoken.input", { shape });
}
