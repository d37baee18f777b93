// The editor's state: the document with undo/redo, the selection, and the actions the
// toolbar, palette, canvas and keyboard share.
import { useCallback, useEffect, useState } from "react";
import type { LayerInfo, NetworkSpec } from "../api/client";
import { commit, redo, replace, start, undo, type History } from "./history";
import { insertLayer } from "./edits";
import { layout } from "./layout";
import { NETWORK_INPUT, emptyDoc, freshId, fromSpec, type Doc, type EdgeDoc, type Params } from "./model";
import { initialValue, type JsonSchema } from "./SchemaForm";

export function newParams(info: LayerInfo | undefined): Params {
  const schema = (info?.schema ?? {}) as JsonSchema;
  const params: Params = {};
  for (const name of schema.required ?? []) {
    if (["id", "type", "inputs"].includes(name)) continue;
    params[name] = initialValue(schema.properties?.[name] ?? {});
  }
  return params;
}

function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return !!el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable);
}

export function useEditor(catalog: LayerInfo[], initial: Doc | null) {
  const [history, setHistory] = useState<History>(() => start(initial ?? emptyDoc()));
  const [selected, setSelected] = useState<string | null>(null);
  const [fitKey, setFitKey] = useState(0); // bumped when the whole view should fit again
  const doc = history.present;

  /** Apply an edit: a new document, or a function of the current one (so edits made in
   * one tick, like removing a node and its edges, compose). */
  const change = useCallback((next: Doc | ((doc: Doc) => Doc), undoable = true) => {
    setHistory((h) => {
      const doc = typeof next === "function" ? next(h.present) : next;
      return undoable ? commit(h, doc) : replace(h, doc);
    });
  }, []);

  const load = useCallback(async (spec: NetworkSpec) => {
    const next = await layout(fromSpec(spec));
    setHistory((h) => commit(h, next));
    setSelected(null);
    setFitKey((k) => k + 1);
  }, []);

  /** Add a layer after `after` (a layer id or NETWORK_INPUT), or into the edge `onto`.
   * A dense layer placed before another (a hidden layer) gets ReLU, unless an activation
   * layer follows it and brings its own; one with nothing
   * after it (an output layer) stays linear, its outputs the logits the loss reads. The
   * rule holds at insertion only: a layer's activation never changes behind its back. */
  const addLayer = useCallback((type: string, at?: { x: number; y: number }, after?: string | null,
    onto?: EdgeDoc | null) => {
    const id = freshId(doc, type);
    const anchorLayer = doc.layers.find((l) => l.id === after);
    if (after && after !== NETWORK_INPUT && !anchorLayer) after = null; // it was deleted
    const anchor = after === NETWORK_INPUT ? doc.inputAt : anchorLayer;
    const position = at ?? (anchor ? { x: anchor.x + 220, y: anchor.y } : { x: 220 * (doc.layers.length + 1), y: 0 });
    const params = newParams(catalog.find((l) => l.type === type));
    const next = insertLayer(doc, { id, type, params, ...position }, after ?? null, onto);
    const feeds = next.edges.filter((e) => e.source === id).map((e) => doc.layers.find((l) => l.id === e.target)?.type);
    if (type === "dense" && feeds.length && !feeds.includes("activation")) params.activation = "relu";
    change(next);
    setSelected(id);
  }, [catalog, doc, change]);

  const duplicate = useCallback(() => {
    const layer = doc.layers.find((l) => l.id === selected);
    if (!layer) return;
    const id = freshId(doc, layer.type);
    const copy = { ...layer, id, params: structuredClone(layer.params), x: layer.x + 30, y: layer.y + 90 };
    const edges = doc.edges.filter((e) => e.target === layer.id).map((e) => ({ ...e, target: id }));
    change({ ...doc, layers: [...doc.layers, copy], edges: [...doc.edges, ...edges] });
    setSelected(id);
  }, [doc, selected, change]);

  const rename = useCallback((from: string, to: string) => {
    if (!/^[A-Za-z][A-Za-z0-9_-]{0,63}$/.test(to) || to === NETWORK_INPUT || doc.layers.some((l) => l.id === to)) return;
    const swap = (id: string) => (id === from ? to : id);
    change({
      ...doc,
      layers: doc.layers.map((l) => (l.id === from ? { ...l, id: to } : l)),
      edges: doc.edges.map((e) => ({ source: swap(e.source), target: swap(e.target) })),
    });
    setSelected(to);
  }, [doc, change]);

  const relayout = useCallback(async () => {
    const next = await layout(doc);
    change(next);
    setFitKey((k) => k + 1);
  }, [doc, change]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (isTyping(e.target) || !(e.ctrlKey || e.metaKey)) return;
      const key = e.key.toLowerCase();
      if (key === "z" && !e.shiftKey) setHistory(undo);
      else if (key === "y" || (key === "z" && e.shiftKey)) setHistory(redo);
      else if (key === "d") duplicate();
      else return;
      e.preventDefault();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [duplicate]);

  return {
    doc, history, selected, setSelected, fitKey, change, load, addLayer, duplicate, rename, relayout,
    undo: () => setHistory(undo), redo: () => setHistory(redo),
  };
}
