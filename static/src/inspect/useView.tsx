// Fetching a view: its answer, its error in words and whether it is loading. Answers are
// kept (per run, the run's state, the view and its parameters) in the map the page holds
// (given through ViewScope), so going back to a tab or a sample shows it at once; Refresh
// starts a new scope.
import { createContext, useContext, useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { failure } from "./inspectApi";
import { ViewAnswers } from "./SaveView";

/** What the kept answers are valid for (a run in one state, until Refresh), and where
 * they are kept: a map that lives as long as the page. */
export interface Scope {
  scope: string;
  kept: Map<string, Promise<unknown>>;
}

export const ViewScope = createContext<Scope>({ scope: "", kept: new Map() });

const KEPT = 64; // answers kept, the latest looked at last

/** The answer of `fetch` under `key` (its parameters), from what is kept where it can be. */
function answerOf<T>(kept: Scope["kept"], key: string, fetch: () => Promise<T>): Promise<T> {
  const found = kept.get(key);
  if (found) {
    kept.delete(key);
    kept.set(key, found);
    return found as Promise<T>;
  }
  const asked = fetch();
  kept.set(key, asked);
  asked.catch(() => kept.delete(key)); // a failure is asked again next time
  while (kept.size > KEPT) kept.delete(kept.keys().next().value as string);
  return asked;
}

export interface ViewState<T> {
  data: T | null;
  error: string | null;
  loading: boolean;
}

/** Fetch a view (again when `key`, its parameters, changes; from what is kept if it was
 * fetched before in this scope). `key` null: nothing to fetch yet. */
export function useView<T>(fetch: () => Promise<T>, key: string | null): ViewState<T> {
  const { scope, kept } = useContext(ViewScope);
  const report = useContext(ViewAnswers);
  const [state, setState] = useState<ViewState<T>>({ data: null, error: null, loading: key !== null });
  useEffect(() => {
    if (key === null) return;
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    answerOf(kept, `${scope}|${key}`, fetch)
      .then((data) => {
        if (!live) return;
        report?.(key, data);
        setState({ data, error: null, loading: false });
      })
      .catch((e: unknown) => live && setState({ data: null, error: failure(e), loading: false }));
    return () => { live = false; };
  }, [scope, key]); // eslint-disable-line react-hooks/exhaustive-deps
  return state;
}

export function Status({ error, loading }: { error: string | null; loading: boolean }) {
  const { t } = useTranslation("inspect");
  if (error) return <p className="error" role="alert">{error}</p>;
  return loading ? <p className="muted" role="status">{t("loading")}</p> : null;
}
