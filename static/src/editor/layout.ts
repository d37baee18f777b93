// Auto-layout with elkjs's layered algorithm, left to right or top to bottom: where each
// node goes, and each edge's route around the nodes (orthogonal, through ELK's bend points).
import type { ELK, ElkExtendedEdge, ElkNode } from "elkjs";
import { NETWORK_INPUT, edgeKey, type Doc, type Point } from "./model";
import { storedDirection, type Direction } from "./viewPrefs";

let engine: Promise<ELK> | null = null;

/** elkjs is large: it loads the first time a layout is asked for. */
function elk(): Promise<ELK> {
  engine ??= import("elkjs/lib/elk.bundled.js").then(({ default: Elk }) => new Elk());
  return engine;
}

/** A layer node's box on the canvas (the stylesheet draws it this size). */
export const NODE_WIDTH = 168;
export const NODE_HEIGHT = 64;
/** The gap between two layers of the layout, wide enough for a shape label. */
export const LAYER_GAP = 72;

/** Each node has one input port (left or top) and one output port (right or bottom), in the
 * middle of its side, where the canvas draws its handles. */
function ports(id: string, direction: Direction): ElkNode["ports"] {
  const across = direction === "RIGHT";
  return [
    { id: `${id}:in`, width: 0, height: 0, x: across ? 0 : NODE_WIDTH / 2, y: across ? NODE_HEIGHT / 2 : 0,
      layoutOptions: { "elk.port.side": across ? "WEST" : "NORTH" } },
    { id: `${id}:out`, width: 0, height: 0, x: across ? NODE_WIDTH : NODE_WIDTH / 2, y: across ? NODE_HEIGHT / 2 : NODE_HEIGHT,
      layoutOptions: { "elk.port.side": across ? "EAST" : "SOUTH" } },
  ];
}

/** The points an edge passes through: its start, its bend points, its end. */
function pointsOf(edge: ElkExtendedEdge): Point[] {
  return (edge.sections ?? []).flatMap((s) => [s.startPoint, ...(s.bendPoints ?? []), s.endPoint])
    .map(({ x, y }) => ({ x, y }));
}

export async function layout(doc: Doc, direction: Direction = storedDirection()): Promise<Doc> {
  const graph = await (await elk()).layout({
    id: "root",
    layoutOptions: {
      "elk.algorithm": "layered",
      "elk.direction": direction,
      "elk.edgeRouting": "ORTHOGONAL",
      "elk.spacing.nodeNode": "40",
      "elk.spacing.edgeNode": "20",
      "elk.spacing.edgeEdge": "12",
      "elk.layered.spacing.nodeNodeBetweenLayers": String(LAYER_GAP),
      "elk.layered.spacing.edgeNodeBetweenLayers": "24",
      "elk.layered.spacing.edgeEdgeBetweenLayers": "12",
      "elk.layered.nodePlacement.strategy": "NETWORK_SIMPLEX",
    },
    children: [NETWORK_INPUT, ...doc.layers.map((l) => l.id)].map((id) => ({
      id, width: NODE_WIDTH, height: NODE_HEIGHT, layoutOptions: { "elk.portConstraints": "FIXED_POS" },
      ports: ports(id, direction),
    })),
    edges: doc.edges.map((e) => ({ id: edgeKey(e), sources: [`${e.source}:out`], targets: [`${e.target}:in`] })),
  });
  const at = new Map((graph.children ?? []).map((c) => [c.id, { x: c.x ?? 0, y: c.y ?? 0 }]));
  return {
    ...doc,
    inputAt: at.get(NETWORK_INPUT) ?? { x: 0, y: 0 },
    layers: doc.layers.map((l) => ({ ...l, ...at.get(l.id)! })),
    routes: {
      direction,
      at: Object.fromEntries(at),
      edges: Object.fromEntries((graph.edges ?? []).map((e) => [e.id, pointsOf(e)])),
    },
  };
}
