// A form generated from a JSON schema (a layer's, or the training config's): a new
// layer type or option needs no UI code. Bounds and descriptions become hints.
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import i18n from "../i18n";

export type JsonSchema = {
  type?: string;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  default?: unknown;
  description?: string;
  title?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  $ref?: string;
};

/** A form's texts in the current language: a field's label, its description (given the
 * schema's own, in English) and a choice's, each by the field's name (and the choice's
 * value, which is what is sent); undefined: the schema's own. */
export interface FormText {
  label?: (name: string) => string | undefined;
  description?: (name: string, english: string) => string | undefined;
  option?: (name: string, value: unknown) => string | undefined;
  /** What leaving a choice empty picks (e.g. "auto: mse"); undefined: "none". */
  none?: (name: string) => string | undefined;
}

type Kind =
  | { kind: "choice"; options: unknown[]; nullable: boolean }
  | { kind: "number"; integer: boolean; nullable: boolean; orList: boolean; schema: JsonSchema }
  | { kind: "boolean" }
  | { kind: "list"; integer: boolean }
  | { kind: "set"; options: unknown[] } // a list of choices, each at most once
  | { kind: "text"; nullable: boolean }
  | { kind: "object" };

/** How to edit a property, from its (possibly anyOf) schema. */
export function kindOf(schema: JsonSchema): Kind {
  const variants = schema.anyOf ?? [schema];
  const nullable = variants.some((v) => v.type === "null");
  const options = variants.flatMap((v) => v.enum ?? (v.const !== undefined ? [v.const] : []));
  const numeric = variants.find((v) => v.type === "integer" || v.type === "number");
  const list = variants.find((v) => v.type === "array");
  if (options.length && !numeric) return { kind: "choice", options, nullable };
  if (numeric) {
    return { kind: "number", integer: numeric.type === "integer", nullable, orList: !!list, schema: numeric };
  }
  if (list?.items?.enum) return { kind: "set", options: list.items.enum };
  if (list) return { kind: "list", integer: list.items?.type === "integer" };
  if (variants.some((v) => v.type === "boolean")) return { kind: "boolean" };
  if (variants.some((v) => v.type === "object" || v.$ref)) return { kind: "object" };
  return { kind: "text", nullable };
}

function hint(schema: JsonSchema, description: string | undefined): string {
  const numeric = (schema.anyOf ?? [schema]).find((v) => v.minimum !== undefined || v.maximum !== undefined
    || v.exclusiveMinimum !== undefined || v.exclusiveMaximum !== undefined);
  const parts = [description ?? ""];
  if (numeric) {
    const low = numeric.minimum ?? numeric.exclusiveMinimum;
    const high = numeric.maximum ?? numeric.exclusiveMaximum;
    parts.push(i18n.t("editor:form.range", { low: low ?? "…", high: high ?? "…" }));
  }
  return parts.filter(Boolean).join(" · ");
}

function label(name: string, schema: JsonSchema, text: FormText): string {
  return text.label?.(name) ?? schema.title ?? name.replace(/_/g, " ");
}

function description(name: string, schema: JsonSchema, text: FormText): string | undefined {
  return schema.description && (text.description?.(name, schema.description) ?? schema.description);
}

/** A sensible starting value for a property (its default, else something valid-ish). */
export function initialValue(schema: JsonSchema): unknown {
  if (schema.default !== undefined) return schema.default;
  const k = kindOf(schema);
  if (k.kind === "choice") return k.nullable ? null : k.options[0];
  if (k.kind === "number") {
    const low = k.schema.minimum ?? (k.schema.exclusiveMinimum !== undefined ? k.schema.exclusiveMinimum + (k.integer ? 1 : 0.1) : 0);
    const high = k.schema.maximum ?? Infinity;
    return Math.min(Math.max(k.integer ? 16 : 0.5, low), high);
  }
  if (k.kind === "boolean") return false;
  if (k.kind === "list") return [1];
  if (k.kind === "set") return k.options.slice(0, 1);
  return k.kind === "text" ? "" : {};
}

interface FieldProps {
  name: string;
  idPrefix: string;
  schema: JsonSchema;
  value: unknown;
  error?: string;
  text: FormText;
  onChange: (value: unknown) => void;
}

function parseList(text: string, integer: boolean): number[] | null {
  const parts = text.split(/[,×x\s]+/).filter(Boolean).map(Number);
  if (!parts.length || parts.some((n) => !Number.isFinite(n) || (integer && !Number.isInteger(n)))) return null;
  return parts;
}

function Field({ name, idPrefix, schema, value, error, text: formText, onChange }: FieldProps) {
  const { t } = useTranslation("editor");
  const k = kindOf(schema);
  const id = `field-${idPrefix}${name}`;
  const described = description(name, schema, formText);
  const text = Array.isArray(value) ? value.join(", ") : value === null || value === undefined ? "" : String(value);
  const [draft, setDraft] = useState(text);
  useEffect(() => setDraft(text), [text]);
  let control;
  if (k.kind === "choice") {
    control = (
      <select id={id} value={value === null ? "" : String(value)}
        onChange={(e) => onChange(e.target.value === "" ? null : k.options.find((o) => String(o) === e.target.value))}>
        {k.nullable && <option value="">{formText.none?.(name) ?? t("form.none")}</option>}
        {k.options.map((o) => <option key={String(o)} value={String(o)}>{formText.option?.(name, o) ?? String(o)}</option>)}
      </select>
    );
  } else if (k.kind === "boolean") {
    control = <input id={id} type="checkbox" checked={!!value} onChange={(e) => onChange(e.target.checked)} />;
  } else if (k.kind === "set") {
    const chosen = Array.isArray(value) ? value : [];
    // checked in the schema's order; the last one left stays (a set needs one)
    const toggle = (option: unknown, on: boolean) =>
      onChange(k.options.filter((o) => (o === option ? on : chosen.includes(o))));
    control = (
      <span id={id} className="choice-set" role="group" aria-label={label(name, schema, formText)}>
        {k.options.map((o) => (
          <label key={String(o)}>
            <input type="checkbox" value={String(o)} checked={chosen.includes(o)}
              disabled={chosen.length === 1 && chosen.includes(o)} onChange={(e) => toggle(o, e.target.checked)} />
            {formText.option?.(name, o) ?? String(o)}
          </label>
        ))}
      </span>
    );
  } else if (k.kind === "object") {
    return null; // nested settings are edited by their own form
  } else {
    const parse = (raw: string): unknown => {
      if (raw.trim() === "" && "nullable" in k && k.nullable) return null;
      if (k.kind === "text") return raw;
      const list = parseList(raw, k.integer);
      if (!list) return raw; // the server names what is wrong
      return k.kind === "number" && (list.length === 1 || !k.orList) ? list[0] : list;
    };
    const commit = (raw: string) => {
      const parsed = parse(raw);
      if (JSON.stringify(parsed) !== JSON.stringify(value)) onChange(parsed); // edits only
    };
    control = (
      <input id={id} type="text" inputMode={k.kind === "text" ? "text" : "decimal"} value={draft}
        onChange={(e) => setDraft(e.target.value)}
        onBlur={(e) => commit(e.target.value)}
        onKeyDown={(e) => e.key === "Enter" && commit((e.target as HTMLInputElement).value)} />
    );
  }
  return (
    <div className={`field${error ? " invalid" : ""}`} data-field={name}>
      <label htmlFor={id} title={described}>{label(name, schema, formText)}</label>
      {control}
      <small className="hint">{hint(schema, described)}</small>
      {error && <small className="error" role="alert">{error}</small>}
    </div>
  );
}

interface FormProps {
  schema: JsonSchema;
  value: Record<string, unknown>;
  errors?: Record<string, string>;
  skip?: string[];
  idPrefix?: string; // keeps element ids unique when several forms share a page
  text?: FormText;
  onChange: (value: Record<string, unknown>) => void;
}

export function SchemaForm({ schema, value, errors = {}, skip = [], idPrefix = "", text = {}, onChange }: FormProps) {
  const properties = Object.entries(schema.properties ?? {}).filter(([name]) => !skip.includes(name));
  return (
    <div className="schema-form">
      {properties.map(([name, property]) => (
        <Field key={name} name={name} idPrefix={idPrefix} schema={property} error={errors[name]} text={text}
          value={name in value ? value[name] : property.default}
          onChange={(v) => onChange({ ...value, [name]: v })} />
      ))}
    </div>
  );
}
