// How the canvas shows the network, remembered in this browser like the theme: the
// layout's direction and whether the minimap is shown.
export type Direction = "RIGHT" | "DOWN";

const DIRECTION_KEY = "layerlab-layout";
const MINIMAP_KEY = "layerlab-minimap";
/** Below this window width the minimap takes room the graph needs: off unless asked for. */
const MINIMAP_MIN_WIDTH = 1600;

export function storedDirection(): Direction {
  return localStorage.getItem(DIRECTION_KEY) === "down" ? "DOWN" : "RIGHT";
}

export function storeDirection(direction: Direction): void {
  localStorage.setItem(DIRECTION_KEY, direction === "DOWN" ? "down" : "right");
}

export function storedMinimap(): boolean {
  const chosen = localStorage.getItem(MINIMAP_KEY);
  return chosen === null ? window.innerWidth >= MINIMAP_MIN_WIDTH : chosen === "on";
}

export function storeMinimap(shown: boolean): void {
  localStorage.setItem(MINIMAP_KEY, shown ? "on" : "off");
}
