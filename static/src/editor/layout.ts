// Auto-layout, left to right, with elkjs's layered algorithm.
import type { ELK } from "elkjs";
import { NETWORK_INPUT, type Doc } from "./model";

let engine: Promise<ELK> | null = null;

/** elkjs is large: it loads the first time a layout is asked for. */
function elk(): Promise<ELK> {
  engine ??= import("elkjs/lib/elk.bundled.js").then(({ default: Elk }) => new Elk());
  return engine;
}
const WIDTH = 180;
const HEIGHT = 80;

export async function layout(doc: Doc): Promise<Doc> {
  const graph = await (await elk()).layout({
    id: "root",
    layoutOptions: {
      "elk.algorithm": "layered",
      "elk.direction": "RIGHT",
      "elk.spacing.nodeNode": "40",
      "elk.layered.spacing.nodeNodeBetweenLayers": "60",
    },
    children: [NETWORK_INPUT, ...doc.layers.map((l) => l.id)].map((id) => ({ id, width: WIDTH, height: HEIGHT })),
    edges: doc.edges.map((e, i) => ({ id: `e${i}`, sources: [e.source], targets: [e.target] })),
  });
  const at = new Map((graph.children ?? []).map((c) => [c.id, { x: c.x ?? 0, y: c.y ?? 0 }]));
  return {
    ...doc,
    inputAt: at.get(NETWORK_INPUT) ?? { x: 0, y: 0 },
    layers: doc.layers.map((l) => ({ ...l, ...at.get(l.id)! })),
  };
}
