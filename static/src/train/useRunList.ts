// A page of the runs the server finds for a query (search words, filters, a sort), kept
// fresh while it is shown: the runs table and the transfer picker search every run in the
// store, never a first page of it.
import { useEffect, useState } from "react";
import { api, type RunSummary, type RunsQuery } from "../api/client";

export const PAGE_SIZE = 50;

export interface RunList {
  runs: RunSummary[];
  /** How many runs the query finds in all. */
  total: number;
  loaded: boolean;
}

/** The page `query` finds, asked again every `refreshMs` (null: once); the second value
 * puts an edited run in place without waiting for the next answer. */
export function useRunList(query: RunsQuery, refreshMs: number | null = 3000): [RunList, (run: RunSummary) => void] {
  const [list, setList] = useState<RunList>({ runs: [], total: 0, loaded: false });
  const key = JSON.stringify(query);
  useEffect(() => {
    let live = true; // an answer to an older query is dropped
    const load = () => api.runs(query).then((r) => live && setList({ runs: r.runs, total: r.total, loaded: true }))
      .catch(() => undefined);
    void load();
    const timer = refreshMs === null ? undefined : window.setInterval(load, refreshMs);
    return () => { live = false; window.clearInterval(timer); };
  }, [key, refreshMs]); // eslint-disable-line react-hooks/exhaustive-deps
  const edited = (run: RunSummary) => setList((l) => ({ ...l, runs: l.runs.map((r) => (r.id === run.id ? run : r)) }));
  return [list, edited];
}

/** `value` once it has stayed the same for `ms` (typing settles before the store is asked). */
export function useSettled<T>(value: T, ms = 250): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = window.setTimeout(() => setSettled(value), ms);
    return () => window.clearTimeout(timer);
  }, [value, ms]);
  return settled;
}
