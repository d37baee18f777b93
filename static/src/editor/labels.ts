// Catalog texts whose key is data (a category, a field's name, a choice's value): each
// falls back to the server's own word where the catalog has no text for it.
import i18n from "../i18n";
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

/** A layer category as the palette heads it. */
export function categoryLabel(category: string): string {
  return entry(i18n.t("editor:categories", { returnObjects: true }), category) ?? category;
}

/** A layer form's texts: its fields' labels and its choices' (the values sent stay as they are). */
export function layerFormText(): FormText {
  const fields = i18n.t("editor:fields", { returnObjects: true });
  const options = i18n.t("editor:options", { returnObjects: true });
  return {
    label: (name) => entry(fields, name),
    option: (name, value) => entry(options, name, String(value)),
  };
}
