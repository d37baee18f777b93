// An issue from the server in the UI's words: its code and values translated, shapes as
// 32×24×24; a code the UI does not know keeps the server's English message.
import type { IssueOut } from "../api/client";
import { shape } from "../format";
import i18n from "../i18n";
import type editor from "../i18n/en/editor.json";

type Words = Exclude<keyof (typeof editor)["issueCodes"], "or">;

/** The server's codes (pydantic's error types and LayerLab's own) -> the UI's words. */
const WORDS: Record<string, Words> = {
  int_parsing: "wholeNumber", int_type: "wholeNumber", int_from_float: "wholeNumber",
  float_parsing: "number", float_type: "number",
  greater_than: "greaterThan", greater_than_equal: "atLeast",
  less_than: "lessThan", less_than_equal: "atMost",
  missing: "required", literal_error: "oneOf", too_short: "tooShort", too_long: "tooLong",
  shape_mismatch: "shapeMismatch", too_few_dimensions: "tooFewDimensions",
  too_many_dimensions: "tooManyDimensions", needs_flat_input: "needsFlatInput",
  window_too_large: "windowTooLarge", needs_float_input: "needsFloatInput",
  unknown_layer_type: "unknownLayerType", missing_layer_type: "missingLayerType",
  unknown_input: "unknownInput", duplicate_id: "duplicateId", cycle: "cycle",
};

/** A value as people read it: a shape as 32×24×24, a list of numbers of dimensions as
 * "2 or 3", a path as a → b → a. */
function readable(key: string, value: unknown): string {
  if (!Array.isArray(value)) return String(value);
  if (key === "dims") return value.join(i18n.t("editor:issueCodes.or"));
  if (key === "path") return value.join(" → ");
  if (value.every((v) => typeof v === "number")) return shape(value as number[]);
  return value.map((v) => (Array.isArray(v) ? shape(v as number[]) : String(v))).join(", ");
}

/** The issue in the current language (callers make it again when the language changes). */
export function issueText(issue: IssueOut): string {
  const words = issue.code ? WORDS[issue.code] : undefined;
  if (!words) return issue.message;
  const values = Object.fromEntries(Object.entries(issue.params ?? {}).map(([k, v]) => [k, readable(k, v)]));
  // the values vary by code: i18next's typed overloads take a fixed set per key
  const translate = i18n.t.bind(i18n) as unknown as (key: string, values: Record<string, string>) => string;
  return translate(`editor:issueCodes.${words}`, values);
}
