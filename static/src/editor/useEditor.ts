// The editor's state: the document with undo/redo, the selection, how the canvas shows it
// (the layout's direction, the minimap), and the actions the toolbar, palette, canvas and
// keyboard share.
import { useCallback, useEffect, useState } from "react";
import type { LayerInfo, NetworkSpec } from "../api/client";
import { commit, redo, replace, start, undo, type History } from "./history";
import { insertLayer, makeRoom } from "./edits";
import { LAYER_GAP, NODE_HEIGHT, NODE_WIDTH, layout } from "./layout";
import { NETWORK_INPUT, emptyDoc, freshId, fromSpec, type Doc, type EdgeDoc, type Params } from "./model";
import { initialValue, type JsonSchema } from "./SchemaForm";
import { validateEarly } from "./useValidation";
import { storeDirection, storeMinimap, storedDirection, storedMinimap, type Direction } from "./viewPrefs";

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
  const [direction, setDirectionState] = useState<Direction>(storedDirection);
  const [minimap, setMinimapState] = useState(storedMinimap);
  /** Show or hide the minimap (remembered; until then it follows the window's width). */
  const setMinimap = useCallback((shown: boolean) => {
    storeMinimap(shown);
    setMinimapState(shown);
  }, []);
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
    const loaded = fromSpec(spec);
    validateEarly(loaded); // checked while it is laid out
    const next = await layout(loaded, direction);
    setHistory((h) => commit(h, next));
    setSelected(null);
    setFitKey((k) => k + 1);
  }, [direction]);

  /** Add a layer after `after` (a layer id or NETWORK_INPUT), or into the edge `onto`. After
   * a layer with one successor it goes between the two, as onto their edge; placed by the
   * keyboard it takes the successor's place, and what follows moves one step along.
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
    const successors = after ? doc.edges.filter((e) => e.source === after) : [];
    if (!onto && successors.length === 1) onto = successors[0];
    const step = direction === "DOWN" ? { x: 0, y: NODE_HEIGHT + LAYER_GAP } : { x: NODE_WIDTH + LAYER_GAP, y: 0 };
    let base = doc;
    let position = at ?? (anchor ? { x: anchor.x + step.x, y: anchor.y + step.y } : { x: step.x * (doc.layers.length + 1), y: 0 });
    const between = onto && doc.layers.find((l) => l.id === onto.target);
    if (!at && between) {
      position = { x: between.x, y: between.y };
      base = makeRoom(doc, between.id, step);
    }
    const params = newParams(catalog.find((l) => l.type === type));
    const next = insertLayer(base, { id, type, params, ...position }, after ?? null, onto);
    const feeds = next.edges.filter((e) => e.source === id).map((e) => doc.layers.find((l) => l.id === e.target)?.type);
    if (type === "dense" && feeds.length && !feeds.includes("activation")) params.activation = "relu";
    change(next);
    setSelected(id);
  }, [catalog, doc, change, direction]);

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

  const relayout = useCallback(async (along: Direction = direction) => {
    const next = await layout(doc, along);
    change(next);
    setFitKey((k) => k + 1);
  }, [doc, change, direction]);

  /** Lay the network out the other way (remembered for the next visit). */
  const setDirection = useCallback((next: Direction) => {
    storeDirection(next);
    setDirectionState(next);
    void relayout(next);
  }, [relayout]);

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
    doc, history, selected, setSelected, fitKey, change, load, addLayer, duplicate, rename,
    relayout: () => relayout(), direction, setDirection, minimap, setMinimap,
    undo: () => setHistory(undo), redo: () => setHistory(redo),
  };
}
