// Zooming into a run's step charts: a drag across any of them narrows them all to those
// steps, fetched again at a chart's resolution for that range (every row when it holds
// few enough: GET /runs/{id}/metrics with since_step and until_step), so a long run's
// thinned history shows its detail. "Show all" or a double click goes back.
import { useEffect, useState } from "react";
import { api } from "../api/client";
import type { Columns } from "./stream";

export const ZOOM_POINTS = 2000; // values a metric in a zoomed range

export interface Zoom {
  from: number;
  to: number;
  steps: Columns | null; // null while it loads
  id: number; // changes with each zoom and its answer (charts set their data again)
}

/** The zoomed range of `runId`'s step metrics `names`, and the function that sets it. */
export function useZoom(runId: string, names: string[]): [Zoom | null, (range: [number, number] | null) => void] {
  const [zoom, setZoom] = useState<Zoom | null>(null);
  useEffect(() => setZoom(null), [runId]);
  const key = names.join(",");
  const zoomTo = (range: [number, number] | null) => {
    if (!range || !key) return setZoom(null);
    const [from, to] = [Math.max(0, Math.floor(range[0])), Math.ceil(range[1])];
    if (to <= from) return;
    const id = Date.now();
    setZoom({ from, to, steps: null, id });
    api.metrics(runId, { names: key, since_step: from - 1, until_step: to, points: ZOOM_POINTS })
      .then((columns) => setZoom((z) => (z?.id === id ? { ...z, steps: columns as Columns, id: id + 1 } : z)))
      .catch(() => setZoom((z) => (z?.id === id ? null : z)));
  };
  return [zoom, zoomTo];
}

/** The rows of `columns` whose step lies in the zoomed range. */
export function within(columns: Columns, zoom: Zoom): Columns {
  const keep = (columns.step ?? []).map((s) => s !== null && s >= zoom.from && s <= zoom.to);
  return Object.fromEntries(Object.entries(columns).map(([name, column]) => [name, column.filter((_, i) => keep[i])]));
}
