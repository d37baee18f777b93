// The inspect calls' common parts over the generated client: the views a run has (GET
// /runs/{id}/inspect, which decides the tabs), a run's options for any inspect operation,
// and a refused call's message as the views show it.
import { ApiError, api, type Schemas } from "../api/client";

export type ViewEntry = Schemas["ViewOut"];

/** The options every inspect operation of a run takes. */
export function forRun(runId: string) {
  return { path: { run_id: runId } };
}

/** The views that apply to a run (its task, input and layers decide). */
export async function listViews(runId: string): Promise<ViewEntry[]> {
  return (await api.views(runId)).views;
}

/** A failed call's message, as the views show it. */
export function failure(e: unknown): string {
  return e instanceof ApiError ? e.detail : String(e);
}
