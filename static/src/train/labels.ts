// Training texts whose key is data (a run's status, a setting's name, a choice's value):
// each falls back to the server's own word where the catalog has no text for it.
import { described, entry } from "../editor/labels";
import type { FormText } from "../editor/SchemaForm";
import i18n from "../i18n";

/** The training settings' forms: the top level and each nested group. */
export type Section = "training" | "optimizer" | "schedule" | "early_stopping" | "augment" | "gan";

/** A training form's texts: its fields' labels, descriptions and choices' (the values
 * sent stay as they are). */
export function trainingFormText(section: Section): FormText {
  const fields = i18n.t("train:fields", { returnObjects: true });
  const options = i18n.t("train:options", { returnObjects: true });
  return {
    label: (name) => entry(fields, section, name),
    description: (name, english) => described(english, ["train", "fieldDescriptions", section, name]),
    option: (name, value) => entry(options, section, name, String(value)),
  };
}

/** What a dataset is (the line under the dataset picker). */
export function datasetDescription(dataset: { name: string; description: string }): string {
  return described(dataset.description, ["train", "datasetDescriptions", dataset.name]);
}

/** A dataset's options form: each option's description, its own for this dataset where it
 * says something else there, else the one the option has in most datasets. */
export function datasetOptionsText(dataset: string): FormText {
  const labels = i18n.t("train:datasetOptionLabels", { returnObjects: true });
  const choices = i18n.t("train:datasetOptionChoices", { returnObjects: true });
  return {
    label: (name) => entry(labels, name),
    option: (name, value) => entry(choices, name, String(value)),
    description: (name, english) => described(english, ["train", "datasetOptionsOf", dataset, name],
      ["train", "datasetOptions", name]),
  };
}

/** What an input of a 2-D set is of its point, as people write it ("x²", "sin x"): the
 * words of the features option's choices. */
export function featureLabel(feature: string): string {
  return datasetOptionsText("").option?.("features", feature) ?? feature;
}

/** A run's status as people read it (the server's word is kept in classes and requests). */
export function statusLabel(status: string): string {
  return entry(i18n.t("train:status", { returnObjects: true }), status) ?? status;
}

/** A metric's name as people read it ("val accuracy"); a split's metric the catalog does
 * not name in full is made of its split and its name ("val_mae": "val MAE"); the server's
 * name where the catalog has neither (a metric new on the server). */
export function metricLabel(name: string): string {
  if (name.startsWith("grad_norm/")) return i18n.t("train:metrics.gradNorm", { layer: name.slice("grad_norm/".length) });
  const named = entry(i18n.t("train:metrics", { returnObjects: true }), name);
  if (named) return named;
  const [, split, rest] = /^(train|val|test)_(.+)$/.exec(name) ?? [];
  const parts = i18n.t("train:metricParts", { returnObjects: true });
  const metric = split ? entry(parts, "names", rest) : undefined;
  return metric ? i18n.t(`train:metricParts.splits.${split as "train" | "val" | "test"}`, { metric }) : name;
}

/** A metric's short name, for a table's cell ("val acc"); its full name where there is none. */
export function shortMetricLabel(name: string): string {
  return entry(i18n.t("train:metricsShort", { returnObjects: true }), name) ?? metricLabel(name);
}

/** Where a run trains, as people read it: the server writes "cpu (2 threads)" (its thread
 * count is the only part in words); a GPU's name stays as the server gives it. */
export function deviceLabel(device: string): string {
  const cpu = /^cpu \((\d+) threads?\)$/.exec(device);
  return cpu ? i18n.t("train:devices.cpu", { count: Number(cpu[1]) }) : device;
}
