// Validate the network as it changes (debounced): shapes, parameter counts and the
// server's errors, per layer and per field, in the UI's words.
import { useEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { ApiError, api, type InvalidSpecOut, type NetworkSpec, type ValidateOut } from "../api/client";
import { issueText } from "./issueText";
import { localIssues, toSpec, type Doc } from "./model";

export interface Validation {
  summary: ValidateOut | null; // a valid network's
  shown: ValidateOut | null; // what the canvas shows: the summary, or what an invalid network's answer could infer
  disconnected: ReadonlySet<string>; // layers whose output never reaches the network's output
  layerErrors: Map<string, string>; // layer id -> message
  fieldErrors: Map<string, Record<string, string>>; // layer id -> field -> message
  networkError: string | null; // an error that names no layer
  hint: string | null; // what to do next, when there is nothing to check
  pending: boolean;
  millis: number | null; // the last round trip
}

const EMPTY: Validation = {
  summary: null, shown: null, disconnected: new Set(), layerErrors: new Map(), fieldErrors: new Map(), networkError: null,
  hint: null, pending: false, millis: null,
};
const DEBOUNCE_MS = 150;

/** A validation asked for ahead of time, by the spec it checks (as JSON). */
let early: { key: string; answer: Promise<ValidateOut> } | null = null;

/** Validate a loaded network while it is being laid out: the check the canvas then asks
 * for is this one, answered without the pause kept between a user's edits. */
export function validateEarly(doc: Doc): void {
  const spec = toSpec(doc);
  if (spec.layers.length === 0) return;
  const answer = api.validate(spec);
  answer.catch(() => undefined); // read, and its error shown, when the canvas asks
  early = { key: JSON.stringify(spec), answer };
}

/** The early answer for `spec`, once (a later edit back to the same network asks again). */
function takeEarly(spec: NetworkSpec): Promise<ValidateOut> | null {
  if (early === null || early.key !== JSON.stringify(spec)) return null;
  const { answer } = early;
  early = null;
  return answer;
}

/** What a refused network's answer could still infer, shaped as a summary for the canvas. */
function inferred(answer: InvalidSpecOut): ValidateOut {
  const layers = answer.layers ?? [];
  const sum = (pick: (l: (typeof layers)[number]) => number) => layers.reduce((total, l) => total + pick(l), 0);
  return {
    valid: false, input_shape: answer.input_shape ?? [], output_shape: [], layers, total_params: sum((l) => l.params),
    trainable_params: sum((l) => l.trainable_params), total_flops: sum((l) => l.flops), activation_mb: 0, warnings: [],
  };
}

export function useValidation(doc: Doc): Validation {
  const { t } = useTranslation("editor"); // the messages are made again in a new language
  const [state, setState] = useState<Validation>(EMPTY);
  const latest = useRef(0);
  useEffect(() => {
    const ticket = ++latest.current;
    setState((s) => ({ ...s, pending: true }));
    const spec = toSpec(doc);
    const asked = takeEarly(spec);
    const timer = window.setTimeout(async () => {
      const local = localIssues(doc);
      const started = performance.now();
      const next: Validation = { ...EMPTY, layerErrors: new Map(local), fieldErrors: new Map() };
      if (spec.layers.length === 0) {
        next.hint = doc.layers.length ? null : t("validation.emptyHint");
      } else {
        try {
          next.summary = next.shown = await (asked ?? api.validate(spec));
          next.disconnected = new Set(next.summary.disconnected ?? []);
        } catch (error) {
          if (!(error instanceof ApiError)) {
            next.networkError = t("validation.unreachable", { error: String(error) });
            next.millis = null;
            if (ticket === latest.current) setState(next);
            return;
          }
          const answer = error.answer as InvalidSpecOut | null;
          if (answer?.layers) {
            next.shown = inferred(answer);
            next.disconnected = new Set(answer.disconnected ?? []);
          }
          for (const issue of error.issues) {
            const id = issue.layer_id;
            const message = issueText(issue);
            if (!id) {
              next.networkError = issue.field ? `${issue.field}: ${message}` : message;
              continue;
            }
            const field = issue.field?.split(".")[0];
            if (field) next.fieldErrors.set(id, { ...next.fieldErrors.get(id), [field]: message });
            const previous = next.layerErrors.get(id);
            const text = field ? `${field}: ${message}` : message;
            next.layerErrors.set(id, previous ? `${previous}; ${text}` : text);
          }
          if (!error.issues.length) next.networkError = error.detail;
        }
      }
      next.millis = performance.now() - started;
      if (ticket === latest.current) setState(next);
    }, asked ? 0 : DEBOUNCE_MS);
    return () => window.clearTimeout(timer);
  }, [doc, t]);
  return state;
}
