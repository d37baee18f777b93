// The editor's document: layers with their settings and positions, and the edges
// between them. It converts to and from the server's NetworkSpec.
import type { NetworkSpec } from "../api/client";
import i18n from "../i18n";
import type { Direction } from "./viewPrefs";

export const NETWORK_INPUT = "input";

export type Params = Record<string, unknown>;

export interface LayerDoc {
  id: string;
  type: string;
  params: Params; // every field of the layer spec except id, type and inputs
  x: number;
  y: number;
}

export interface EdgeDoc {
  source: string; // a layer id, or NETWORK_INPUT
  target: string;
}

export interface Point {
  x: number;
  y: number;
}

/** The edges' routes from the last auto-layout: they hold while the nodes stay where the
 * layout put them (`at`) and the layout's direction is the canvas's. */
export interface Routes {
  direction: Direction;
  at: Record<string, Point>; // each node's position when routed
  edges: Record<string, Point[]>; // by edgeKey: start, bend points, end
}

/** An edge's id on the canvas. */
export function edgeKey(edge: EdgeDoc): string {
  return `${edge.source}->${edge.target}`;
}

export interface InputDoc {
  shape: number[];
  dtype?: "float" | "token";
  vocab_size?: number | null;
}

export interface Doc {
  name: string;
  input: InputDoc;
  inputAt: { x: number; y: number }; // where the input node sits on the canvas
  layers: LayerDoc[];
  edges: EdgeDoc[];
  routes?: Routes;
}

/** A new, empty document (named in the current language). */
export function emptyDoc(): Doc {
  return { name: i18n.t("editor:doc.newName"), input: { shape: [2] }, inputAt: { x: 0, y: 0 }, layers: [], edges: [] };
}

/** Layers in an order where each comes after its inputs (ties by position, left first). */
export function topological(doc: Doc): { order: LayerDoc[]; cyclic: boolean } {
  const incoming = new Map(doc.layers.map((l) => [l.id, 0]));
  for (const e of doc.edges) {
    if (incoming.has(e.target) && incoming.has(e.source)) incoming.set(e.target, incoming.get(e.target)! + 1);
  }
  const byPosition = (a: LayerDoc, b: LayerDoc) => a.x - b.x || a.y - b.y;
  const ready = doc.layers.filter((l) => incoming.get(l.id) === 0).sort(byPosition);
  const order: LayerDoc[] = [];
  while (ready.length) {
    const layer = ready.shift()!;
    order.push(layer);
    for (const e of doc.edges.filter((e) => e.source === layer.id && incoming.has(e.target))) {
      const left = incoming.get(e.target)! - 1;
      incoming.set(e.target, left);
      if (left === 0) {
        ready.push(doc.layers.find((l) => l.id === e.target)!);
        ready.sort(byPosition);
      }
    }
  }
  return { order, cyclic: order.length < doc.layers.length };
}

export function inputsOf(doc: Doc, id: string): string[] {
  return doc.edges.filter((e) => e.target === id).map((e) => e.source);
}

/** Problems found without the server: unconnected layers, cycles. */
export function localIssues(doc: Doc): Map<string, string> {
  const issues = new Map<string, string>();
  for (const layer of doc.layers) {
    if (inputsOf(doc, layer.id).length === 0) {
      issues.set(layer.id, i18n.t("editor:issues.notConnected"));
    }
  }
  if (topological(doc).cyclic) {
    for (const layer of doc.layers) if (!issues.has(layer.id)) issues.set(layer.id, i18n.t("editor:issues.cycle"));
  }
  return issues;
}

/** The spec the server checks: connected layers in topological order, inputs explicit. */
export function toSpec(doc: Doc): NetworkSpec {
  const skip = localIssues(doc);
  const layers = topological(doc)
    .order.filter((l) => !skip.has(l.id))
    .map((l) => ({ id: l.id, type: l.type, ...l.params, inputs: inputsOf(doc, l.id) }));
  const input: InputDoc = { shape: doc.input.shape };
  if (doc.input.dtype === "token") Object.assign(input, { dtype: "token", vocab_size: doc.input.vocab_size });
  return { version: 1, name: doc.name, input, layers } as unknown as NetworkSpec;
}

/** A spec as a document (positions to be laid out). */
export function fromSpec(spec: NetworkSpec): Doc {
  const layers: LayerDoc[] = [];
  const edges: EdgeDoc[] = [];
  let previous = NETWORK_INPUT;
  spec.layers.forEach((raw, i) => {
    const { id, type, inputs, ...params } = raw as unknown as Params & { id: string; type: string; inputs?: string[] | null };
    layers.push({ id, type, params, x: 200 * (i + 1), y: 0 });
    for (const source of inputs ?? [previous]) edges.push({ source, target: id });
    previous = id;
  });
  const input = spec.input as unknown as InputDoc;
  return {
    name: spec.name ?? i18n.t("editor:doc.unnamed"),
    input: { shape: [...input.shape], dtype: input.dtype ?? "float", vocab_size: input.vocab_size ?? null },
    inputAt: { x: 0, y: 0 },
    layers,
    edges,
  };
}

/** A new id for a layer of `type`: dense1, dense2, ... */
export function freshId(doc: Doc, type: string): string {
  const base = type.replace(/[^A-Za-z0-9]/g, "_").replace(/^[^A-Za-z]/, "l");
  for (let n = 1; ; n++) {
    const id = `${base}${n}`;
    if (id !== NETWORK_INPUT && !doc.layers.some((l) => l.id === id)) return id;
  }
}
