// An experiment as a diff of the lesson's network and settings: each path it changes with
// the value before and after. The network's paths come from the experiment's edits (a set
// field, an inserted layer's fields, a removed layer), the settings' from what it merges in.
import type { Experiment } from "../api/client";
import { flatten } from "../train/diff";

export interface Change {
  path: string;
  before: string | null; // null: the path is new
  after: string | null; // null: the path is gone
}

interface Edit {
  op: "set" | "insert_after" | "remove";
  layer: string;
  values: Record<string, unknown>;
}

export function changes(base: { network: unknown; training: unknown }, experiment: Experiment): Change[] {
  const network = flatten(base.network);
  const rows: Change[] = [];
  for (const edit of experiment.edits as unknown as Edit[]) {
    if (edit.op === "remove") {
      rows.push({ path: `layers.${edit.layer}`, before: network[`layers.${edit.layer}.type`] ?? null, after: null });
      continue;
    }
    const id = edit.op === "set" ? edit.layer : String(edit.values.id);
    for (const [field, value] of Object.entries(edit.values)) {
      if (edit.op === "insert_after" && field === "id") continue;
      const path = `layers.${id}.${field}`;
      rows.push({ path, before: edit.op === "set" ? (network[path] ?? null) : null, after: JSON.stringify(value) });
    }
  }
  const training = flatten(base.training);
  for (const [path, after] of Object.entries(flatten(experiment.training_changes))) {
    rows.push({ path: `training.${path}`, before: training[path] ?? null, after });
  }
  return rows;
}
