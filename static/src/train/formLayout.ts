// The training form's layout: its settings in the order a newcomer fills them (what to
// train, then how), each task's own settings for that task alone, each optimizer's own for
// that optimizer alone, and the rest folded. Hidden settings keep their values.
import type { JsonSchema } from "../editor/SchemaForm";
import type { TaskKind } from "../taskKinds";
import { TRAINING_SCHEMA } from "./schemas";

/** What to train: after the dataset (picked above the form), before the optimizer. */
export const FIRST = ["task", "loss"];
/** How long and on how much: after the optimizer. */
export const THEN = ["batch_size", "epochs", "validation_split"];
/** Penalties and clipping: folded. */
export const REGULARISATION = ["l1", "l2", "grad_clip"];
/** Nested groups shown folded, each under its own heading. */
export const FOLDED_GROUPS = ["schedule", "early_stopping", "augment"];
/** Where and how fast it trains, the seed, how often it reports: folded last. */
export const ADVANCED = ["seed", "device", "precision", "channels_last", "compile", "report_every"];
/** Settings edited by a form of their own (the dataset's picker, the optimizer's group,
 * the per-layer learning rates of transfer learning). */
const OWN_FORM = ["dataset", "optimizer", "layer_lr"];

/** The training settings only some task kinds read (a vae's beta, a gan's group). */
export function taskSettings(kinds: TaskKind[]): string[] {
  return [...new Set(kinds.flatMap((kind) => kind.settings))];
}

/** The advanced settings, with any top-level setting the form places nowhere else (so
 * that a new setting is never left out). */
export function advanced(kinds: TaskKind[]): string[] {
  const placed = new Set([...FIRST, ...THEN, ...REGULARISATION, ...FOLDED_GROUPS, ...ADVANCED, ...OWN_FORM,
    ...taskSettings(kinds)]);
  return [...ADVANCED, ...Object.keys(TRAINING_SCHEMA.properties ?? {}).filter((name) => !placed.has(name))];
}

/** A schema with only the named properties, in the order named (names it lacks are left out). */
export function pick(schema: JsonSchema, names: string[]): JsonSchema {
  const properties = schema.properties ?? {};
  return { ...schema, properties: Object.fromEntries(names.filter((n) => n in properties).map((n) => [n, properties[n]])) };
}

type OptimizerProperty = JsonSchema & { optimizers?: string[] };

/** The optimizer's settings for the optimizer named `name`: its name first, then the
 * settings only it reads (as the schema's `optimizers` names them) and those every
 * optimizer reads, the learning rate last. */
export function optimizerFields(schema: JsonSchema, name: unknown): string[] {
  const own = Object.entries(schema.properties ?? {}).filter(([key, property]) => {
    const only = (property as OptimizerProperty).optimizers;
    return key !== "name" && key !== "lr" && (!only || only.includes(String(name)));
  });
  return ["name", ...own.map(([key]) => key), "lr"];
}

/** The settings as a run takes them: the optimizer's settings that its chosen optimizer does
 * not read (kept in the form while hidden, as momentum is when SGD is switched for Adam) are
 * left out, so they neither reach the run's record nor refuse it (Nesterov is SGD's alone). */
export function forRun<T extends Record<string, unknown>>(training: T): T {
  const optimizer = (training.optimizer ?? {}) as Record<string, unknown>;
  const schema = TRAINING_SCHEMA.properties!.optimizer;
  const name = optimizer.name ?? schema.properties?.name?.default;
  const reads = new Set(optimizerFields(schema, name));
  return { ...training, optimizer: Object.fromEntries(Object.entries(optimizer).filter(([key]) => reads.has(key))) };
}
