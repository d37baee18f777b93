// What differs between runs: their specs and training settings flattened to paths
// (layers by id, so an inserted layer does not shift the rest).
export type Flat = Record<string, string>;

export function flatten(value: unknown, prefix = "", out: Flat = {}): Flat {
  if (Array.isArray(value) && value.every((v) => v && typeof v === "object" && "id" in v)) {
    for (const item of value as { id: string }[]) flatten(item, `${prefix}${item.id}.`, out);
  } else if (value && typeof value === "object" && !Array.isArray(value)) {
    for (const [key, v] of Object.entries(value)) flatten(v, `${prefix}${key}.`, out);
  } else {
    out[prefix.slice(0, -1)] = JSON.stringify(value);
  }
  return out;
}

/** Paths whose values are not the same in every one of `flats` (missing counts). */
export function differences(flats: Flat[]): string[] {
  const paths = new Set(flats.flatMap((f) => Object.keys(f)));
  return [...paths].filter((p) => new Set(flats.map((f) => f[p] ?? "–")).size > 1).sort();
}
