// The inspect calls' common parts over the generated client (src/api/gen): the views a run
// has (GET /runs/{id}/inspect, which decides the tabs), and a call's answer or its error as
// an ApiError, as every view shows it.
import { ApiError, type IssueOut, type Schemas } from "../api/client";
import { inspectViews } from "../api/gen";

export type ViewEntry = Schemas["ViewOut"];

interface Answer<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The answer of a generated call made with `forRun(runId)`, or its error thrown as an ApiError. */
export async function unwrap<T>(call: Promise<Answer<T>>): Promise<T> {
  const { data, error, response } = await call;
  if (error === undefined && response.ok) return data as T;
  const body = (error ?? {}) as { detail?: unknown; errors?: IssueOut[] };
  throw new ApiError(response.status, body.detail ? String(body.detail) : response.statusText, body.errors ?? []);
}

/** The options every inspect call of a run takes (its errors come back, for `unwrap`). */
export function forRun(runId: string) {
  return { path: { run_id: runId }, throwOnError: false as const };
}

/** The views that apply to a run (its task, input and layers decide). */
export async function listViews(runId: string): Promise<ViewEntry[]> {
  return (await unwrap(inspectViews(forRun(runId)))).views;
}

/** A failed call's message, as the views show it. */
export function failure(e: unknown): string {
  return e instanceof ApiError ? e.detail : String(e);
}
