// Fitting the network into the canvas without shrinking its text below what reads: the
// view zooms out no further than node text at 10 px, and a network that is larger than
// that shows its input's end first (the user pans to the rest).
import type { Viewport } from "@xyflow/react";
import { NODE_HEIGHT, NODE_WIDTH } from "./layout";
import type { Doc, Point } from "./model";
import type { Direction } from "./viewPrefs";

/** The smallest text on a node (app.css), and the smallest it may be on screen. */
const NODE_TEXT_PX = 12;
const MIN_TEXT_PX = 10;
export const FIT_MIN_ZOOM = MIN_TEXT_PX / NODE_TEXT_PX;
export const FIT_MAX_ZOOM = 1.2;
const PAD = 24; // screen pixels kept clear around the network
const TOOLS = 48; // the row of canvas tools over the canvas's top

interface Rect { x: number; y: number; width: number; height: number }

function boundsOf(points: Point[]): Rect {
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const [x, y] = [Math.min(...xs), Math.min(...ys)];
  return { x, y, width: Math.max(...xs) + NODE_WIDTH - x, height: Math.max(...ys) + NODE_HEIGHT - y };
}

const clamp = (value: number, low: number, high: number) => Math.min(Math.max(value, low), high);

/** The viewport that shows `doc` in a canvas of `size`: the whole network where it fits at a
 * readable zoom; else its input's end along the layout's direction, and across it the
 * input in the middle. */
export function fitViewport(doc: Doc, size: { width: number; height: number }, direction: Direction): Viewport {
  const bounds = boundsOf([doc.inputAt, ...doc.layers]);
  const high = size.height - TOOLS; // the canvas below the tools
  const zoom = clamp(Math.min((size.width - 2 * PAD) / bounds.width, (high - 2 * PAD) / bounds.height),
    FIT_MIN_ZOOM, FIT_MAX_ZOOM);
  const axis = (low: number, extent: number, view: number, input: number, along: boolean) => {
    if (extent * zoom <= view - 2 * PAD) return (view - extent * zoom) / 2 - low * zoom; // it fits: centred
    if (along) return PAD - low * zoom;
    return clamp(view / 2 - input * zoom, view - PAD - (low + extent) * zoom, PAD - low * zoom);
  };
  const input = doc.inputAt;
  return {
    x: axis(bounds.x, bounds.width, size.width, input.x + NODE_WIDTH / 2, direction === "RIGHT"),
    y: TOOLS + axis(bounds.y, bounds.height, high, input.y + NODE_HEIGHT / 2, direction === "DOWN"),
    zoom,
  };
}
