// Each trial's validation loss per epoch (its training loss where it has no validation),
// read from its run's metrics; a trial's are read again only when its epoch or status moves.
import { useEffect, useRef, useState } from "react";
import { api, type TrialOut } from "../api/client";
import { epochLoss } from "../train/stream";

export interface Curve {
  epochs: (number | null)[];
  loss: (number | null)[];
}

async function curveOf(runId: string): Promise<Curve> {
  return epochLoss((await api.snapshot(runId)).metrics);
}

/** The trials' curves by run id, and a version that moves whenever one changes. */
export function useTrialCurves(trials: TrialOut[]): { curves: Map<string, Curve>; version: number } {
  const seen = useRef(new Map<string, string>()); // run id -> the status:epoch its curve was read at
  const [state, setState] = useState({ curves: new Map<string, Curve>(), version: 0 });
  const key = trials.map((t) => `${t.run_id}:${t.status}:${t.epoch}`).join();
  useEffect(() => {
    let live = true;
    const moved = trials.filter((t) => t.status !== "deleted" && t.epoch > 0 && seen.current.get(t.run_id) !== `${t.status}:${t.epoch}`);
    if (!moved.length) return;
    Promise.all(moved.map(async (t) => [t, await curveOf(t.run_id)] as const)).then((read) => {
      if (!live) return;
      for (const [t] of read) seen.current.set(t.run_id, `${t.status}:${t.epoch}`);
      setState((s) => {
        const curves = new Map(s.curves);
        for (const [t, curve] of read) curves.set(t.run_id, curve);
        return { curves, version: s.version + 1 };
      });
    }).catch(() => undefined);
    return () => { live = false; };
  }, [key]); // eslint-disable-line react-hooks/exhaustive-deps
  return state;
}
