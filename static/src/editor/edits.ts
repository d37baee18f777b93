// Edits that keep a network connected: a new layer placed after another or into an
// edge (with room made for it), and layers removed with their neighbours joined where the shapes allow.
import { NETWORK_INPUT, inputsOf, type Doc, type EdgeDoc, type LayerDoc } from "./model";

/** Add `layer` after `after` (a layer id or NETWORK_INPUT), or into the edge `onto`,
 * which it replaces with two. */
export function insertLayer(doc: Doc, layer: LayerDoc, after: string | null, onto?: EdgeDoc | null): Doc {
  if (onto && doc.edges.some((e) => e.source === onto.source && e.target === onto.target)) {
    const edges = doc.edges.filter((e) => !(e.source === onto.source && e.target === onto.target));
    return { ...doc, layers: [...doc.layers, layer],
      edges: [...edges, { source: onto.source, target: layer.id }, { source: layer.id, target: onto.target }] };
  }
  const edges = after ? [...doc.edges, { source: after, target: layer.id }] : doc.edges;
  return { ...doc, layers: [...doc.layers, layer], edges };
}

/** Layer `from` and every layer after it moved by `step`, to make room before it. */
export function makeRoom(doc: Doc, from: string, step: { x: number; y: number }): Doc {
  const moving = new Set([from]);
  for (let grew = true; grew;) {
    grew = false;
    for (const e of doc.edges) {
      if (moving.has(e.source) && !moving.has(e.target)) {
        moving.add(e.target);
        grew = true;
      }
    }
  }
  return { ...doc, layers: doc.layers.map((l) => (moving.has(l.id) ? { ...l, x: l.x + step.x, y: l.y + step.y } : l)) };
}

/** Remove layers and edges in one edit. A removed layer with one input hands it to each
 * of its successors when the input has the rank the removed layer gave them (shapes
 * from the last check; unknown shapes join nothing). */
export function removeParts(doc: Doc, layerIds: string[], edgeIds: string[],
  shapes: Map<string, number[]>): Doc {
  const gone = new Set(layerIds.filter((id) => id !== NETWORK_INPUT));
  const cut = new Set(edgeIds);
  // edges of removed layers go with them (after their neighbours are joined)
  let edges = doc.edges.filter((e) => gone.has(e.source) || gone.has(e.target) || !cut.has(`${e.source}->${e.target}`));
  for (const id of gone) {
    const sources = inputsOf({ ...doc, edges }, id);
    const source = sources.length === 1 ? sources[0] : null;
    const before = source ? shapes.get(source) : undefined;
    const after = shapes.get(id);
    const joins = !!source && !!before && !!after && before.length === after.length;
    const kept: EdgeDoc[] = [];
    for (const e of edges) {
      if (e.target === id) continue;
      // the successor keeps its input in the same place (a concat's order matters)
      const edge = e.source === id && joins ? { source: source!, target: e.target } : e;
      if (edge.source === id) continue;
      if (!kept.some((k) => k.source === edge.source && k.target === edge.target)) kept.push(edge);
    }
    edges = kept;
  }
  edges = edges.filter((e) => !gone.has(e.source) && !gone.has(e.target));
  return { ...doc, layers: doc.layers.filter((l) => !gone.has(l.id)), edges };
}
