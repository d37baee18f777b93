// An edge drawn along the route the auto-layout found around the nodes (orthogonal, with
// ELK's bend points), its shape label on its longest straight run; an edge with no route
// that still holds (drawn by hand, or a node moved since) takes a plain stepped path.
import { BaseEdge, getSmoothStepPath, type Edge, type EdgeProps } from "@xyflow/react";
import type { Point } from "./model";

export type RoutedEdgeData = { route?: Point[] };
export type RoutedFlowEdge = Edge<RoutedEdgeData, "routed">;

const CORNER = 6; // the radius a bend is rounded to

/** The route with its ends moved onto the handles where the nodes draw them (a node grown
 * by an error message moves its handle): the first and last bends slide along their
 * runs, so every run stays horizontal or vertical. */
export function snapped(route: Point[], source: Point, target: Point): Point[] {
  const points = route.map((p) => ({ ...p }));
  const last = points.length - 1;
  if (points.length === 2) {
    const [a, b] = points;
    if (source.x === target.x || source.y === target.y) return [source, target];
    if (Math.abs(a.y - b.y) < Math.abs(a.x - b.x)) {
      const x = (source.x + target.x) / 2;
      return [source, { x, y: source.y }, { x, y: target.y }, target];
    }
    const y = (source.y + target.y) / 2;
    return [source, { x: source.x, y }, { x: target.x, y }, target];
  }
  const follow = (end: Point, bend: Point, to: Point) => {
    if (Math.abs(end.y - bend.y) < Math.abs(end.x - bend.x)) bend.y = to.y;
    else bend.x = to.x;
  };
  follow(route[0], points[1], source);
  follow(route[last], points[last - 1], target);
  points[0] = source;
  points[last] = target;
  return points;
}

/** An SVG path through the points, its corners rounded. */
function path(points: Point[]): string {
  let d = `M ${points[0].x} ${points[0].y}`;
  for (let i = 1; i < points.length - 1; i++) {
    const [a, b, c] = [points[i - 1], points[i], points[i + 1]];
    const r = Math.min(CORNER, Math.hypot(b.x - a.x, b.y - a.y) / 2, Math.hypot(c.x - b.x, c.y - b.y) / 2);
    const towards = (from: Point, to: Point) => {
      const length = Math.hypot(to.x - from.x, to.y - from.y) || 1;
      return { x: from.x + ((to.x - from.x) * r) / length, y: from.y + ((to.y - from.y) * r) / length };
    };
    const [into, out] = [towards(b, a), towards(b, c)];
    d += ` L ${into.x} ${into.y} Q ${b.x} ${b.y} ${out.x} ${out.y}`;
  }
  const end = points[points.length - 1];
  return `${d} L ${end.x} ${end.y}`;
}

/** The middle of the longest run: where a label has the most room. */
function labelAt(points: Point[]): Point {
  let best = 0;
  for (let i = 1; i < points.length - 1; i++) {
    const length = (j: number) => Math.hypot(points[j + 1].x - points[j].x, points[j + 1].y - points[j].y);
    if (length(i) > length(best)) best = i;
  }
  const [a, b] = [points[best], points[best + 1]];
  return { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
}

export function RoutedEdge({ id, sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, data,
  label, labelStyle, labelShowBg, labelBgStyle, labelBgPadding, labelBgBorderRadius, markerEnd, style,
  interactionWidth }: EdgeProps<RoutedFlowEdge>) {
  let d: string;
  let at: Point;
  if (data?.route && data.route.length >= 2) {
    const points = snapped(data.route, { x: sourceX, y: sourceY }, { x: targetX, y: targetY });
    d = path(points);
    at = labelAt(points);
  } else {
    const [stepped, x, y] = getSmoothStepPath({ sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition });
    d = stepped;
    at = { x, y };
  }
  return (
    <BaseEdge id={id} path={d} labelX={at.x} labelY={at.y} label={label} labelStyle={labelStyle}
      labelShowBg={labelShowBg} labelBgStyle={labelBgStyle} labelBgPadding={labelBgPadding}
      labelBgBorderRadius={labelBgBorderRadius} markerEnd={markerEnd} style={style} interactionWidth={interactionWidth} />
  );
}
