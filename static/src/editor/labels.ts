// Catalog texts whose key is data (a category, a field's name, a choice's value): each
// falls back to the server's own word where the catalog has no text for it.
import i18n, { currentLang } from "../i18n";
import type { FormText } from "./SchemaForm";

/** Entry `name` of a catalog subtree (from t(…, { returnObjects: true })), if it has one. */
function child(tree: unknown, name: string): unknown {
  return tree && typeof tree === "object" && Object.hasOwn(tree, name) ? (tree as Record<string, unknown>)[name] : undefined;
}

/** The text at `path` under a catalog subtree, if there is one. */
export function entry(tree: unknown, ...path: string[]): string | undefined {
  const value = path.reduce(child, tree);
  return typeof value === "string" ? value : undefined;
}

/** Where a text the server writes may be in the catalogs: a namespace, then the keys. */
export type CatalogPath = ["editor" | "train", ...string[]];

/** A text the server writes in English (a description), in the UI's language: the catalog's
 * text at the first of `paths` whose English is the server's text as it is, else the
 * server's own text (a layer or setting new on the server, or a text it has reworded that
 * the catalogs do not have yet), so English always reads as the server wrote it. */
export function described(english: string, ...paths: CatalogPath[]): string;
export function described(english: string | undefined, ...paths: CatalogPath[]): string | undefined;
export function described(english: string | undefined, ...paths: CatalogPath[]): string | undefined {
  if (!english) return english;
  const bundle = (lang: string, ns: string): unknown => i18n.getResourceBundle(lang, ns);
  for (const [ns, ...keys] of paths) {
    if (entry(bundle("en", ns), ...keys) === english) return entry(bundle(currentLang(), ns), ...keys) ?? english;
  }
  return english;
}

/** A layer category as the palette heads it. */
export function categoryLabel(category: string): string {
  return entry(i18n.t("editor:categories", { returnObjects: true }), category) ?? category;
}

/** What a layer type does (the palette's tooltip, the inspector's line under the type). */
export function layerDescription(layer: { type: string; description: string }): string {
  return described(layer.description, ["editor", "layerDescriptions", layer.type]);
}

/** A layer field's description: its own for this layer type where it says something else
 * there, else the one the field has in most layers. */
export function layerFieldDescription(type: string, field: string, english: string | undefined): string | undefined {
  return described(english, ["editor", "fieldDescriptionsOf", type, field], ["editor", "fieldDescriptions", field]);
}

/** A layer form's texts: its fields' labels, descriptions and choices' (the values sent
 * stay as they are). */
export function layerFormText(type: string): FormText {
  const fields = i18n.t("editor:fields", { returnObjects: true });
  const options = i18n.t("editor:options", { returnObjects: true });
  return {
    label: (name) => entry(fields, name),
    description: (name, english) => layerFieldDescription(type, name, english),
    option: (name, value) => entry(options, name, String(value)),
  };
}
