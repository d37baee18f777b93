// The sweep form's settings as typed, kept for the browser tab's session: leaving the
// Sweeps tab (which unmounts the form) or reloading the page loses nothing typed.
import { useCallback, useState } from "react";
import type { SweepSpec } from "../api/client";
import { METRICS, emptyRow, type Method, type ParamRow } from "./params";

export interface Draft {
  name: string;
  method: Method;
  rows: ParamRow[];
  trials: string;
  seed: string;
  metricChoice: string;
  typedMetric: string;
  mode: SweepSpec["mode"];
  earlyStopping: NonNullable<SweepSpec["early_stopping"]>;
  repeats: string;
}

const KEY = "layerlab-sweep-draft";

export function freshDraft(): Draft {
  return {
    name: "", method: "grid", rows: [emptyRow("optimizer.lr")], trials: "8", seed: "0",
    metricChoice: METRICS[0], typedMetric: "", mode: "auto", earlyStopping: "none", repeats: "1",
  };
}

/** The stored draft over a fresh one (a field it lacks keeps its default); a fresh one
 * where nothing usable is stored. */
function stored(): Draft {
  try {
    const draft: unknown = JSON.parse(sessionStorage.getItem(KEY) ?? "null");
    if (draft && typeof draft === "object" && Array.isArray((draft as Draft).rows)) {
      const rows = (draft as Draft).rows.map((row) => ({ ...emptyRow(), ...row }));
      return { ...freshDraft(), ...(draft as Partial<Draft>), rows };
    }
  } catch {
    // unreadable: start afresh
  }
  return freshDraft();
}

/** The draft and a function that changes some of its fields. */
export function useDraft(): [Draft, (change: Partial<Draft>) => void] {
  const [draft, setDraft] = useState(stored);
  // stored as it changes, not in an effect: a change made as the form closes is kept too
  const update = useCallback((change: Partial<Draft>) => setDraft((d) => {
    const next = { ...d, ...change };
    sessionStorage.setItem(KEY, JSON.stringify(next));
    return next;
  }), []);
  return [draft, update];
}
