// Training texts whose key is data (a run's status, a setting's name, a choice's value):
// each falls back to the server's own word where the catalog has no text for it.
import { entry } from "../editor/labels";
import type { FormText } from "../editor/SchemaForm";
import i18n from "../i18n";

/** The training settings' forms: the top level and each nested group. */
export type Section = "training" | "optimizer" | "schedule" | "early_stopping" | "gan";

/** A training form's texts: its fields' labels and its choices' (the values sent stay as they are). */
export function trainingFormText(section: Section): FormText {
  const fields = i18n.t("train:fields", { returnObjects: true });
  const options = i18n.t("train:options", { returnObjects: true });
  return {
    label: (name) => entry(fields, section, name),
    option: (name, value) => entry(options, section, name, String(value)),
  };
}

/** A run's status as people read it (the server's word is kept in classes and requests). */
export function statusLabel(status: string): string {
  return entry(i18n.t("train:status", { returnObjects: true }), status) ?? status;
}
