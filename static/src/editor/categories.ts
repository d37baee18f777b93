// One fixed colour per layer category: the same in the palette, on the canvas and in
// legends.
import i18n from "../i18n";

export const CATEGORY_COLOURS: Record<string, string> = {
  input: "#6b7280",
  core: "#2563eb",
  convolution: "#d97706",
  normalization: "#059669",
  sequence: "#7c3aed",
  merge: "#db2777",
  generative: "#0891b2",
};

export const CATEGORY_ORDER = ["core", "convolution", "normalization", "sequence", "merge", "generative"];

export function colourOf(category: string): string {
  return CATEGORY_COLOURS[category] ?? "#475569";
}

/** The settings worth showing on a node: `conv2d 32 · 3×3 · relu`. */
export function keySettings(params: Record<string, unknown>): string {
  const keys = ["units", "filters", "kernel_size", "pool_size", "stride", "rate", "hidden_size",
    "num_heads", "dim", "activation", "mode", "shape", "dims"];
  const parts: string[] = [];
  for (const key of keys) {
    const value = params[key];
    if (value === undefined || value === null || value === "") continue;
    if (key === "kernel_size" || key === "pool_size") {
      parts.push(Array.isArray(value) ? value.join("×") : `${value}×${value}`);
    } else if (key === "stride") {
      if (value !== 1) parts.push(i18n.t("editor:node.stride", { value: String(value) }));
    } else if (Array.isArray(value)) {
      parts.push(value.join("×"));
    } else {
      parts.push(String(value));
    }
  }
  return parts.join(" · ");
}
