// Why the Train button is disabled, in words a person can act on: nothing to train yet,
// a layer to fix first, or a dataset whose samples the network does not take.
import type { DatasetSummary } from "../api/client";
import { shape } from "../format";
import i18n from "../i18n";
import { topological, type Doc } from "./model";
import type { Validation } from "./useValidation";

/** Whether a dataset gives what the network takes (shape and kind of values). */
export function fits(dataset: DatasetSummary, input: Doc["input"]): boolean {
  return dataset.input_shape.join() === input.shape.join() && dataset.dtype === (input.dtype ?? "float");
}

interface Chosen {
  hasTraining: boolean; // training settings are chosen
  // the dataset they name as its options make it, where the server has said so yet
  dataset: DatasetSummary | undefined;
  readsSamples: boolean; // the task's network reads the dataset's samples (a GAN's reads noise)
}

/** The reason Train cannot start now, or null when it can. */
export function whyNotTrain(doc: Doc, validation: Validation, chosen: Chosen): string | null {
  const t = i18n.t.bind(i18n);
  if (!doc.layers.length) return t("common:topBar.why.noLayers");
  const broken = topological(doc).order.find((l) => validation.layerErrors.has(l.id))
    ?? doc.layers.find((l) => validation.layerErrors.has(l.id));
  if (broken) return t("common:topBar.why.fixLayer", { id: broken.id });
  if (validation.networkError) return t("common:topBar.why.fixNetwork");
  if (!validation.summary) return t("common:topBar.why.checking");
  if (!chosen.hasTraining) return t("common:topBar.why.noDataset");
  const { dataset } = chosen;
  if (dataset && !dataset.input_shape.length) return t("common:topBar.why.needsData");
  if (dataset && chosen.readsSamples && !fits(dataset, doc.input)) {
    const kind = (dtype: string) => (dataset.dtype === (doc.input.dtype ?? "float") ? "" : ` (${dtype})`);
    return t("common:topBar.why.datasetMismatch", {
      data: shape(dataset.input_shape) + kind(dataset.dtype), network: shape(doc.input.shape) + kind(doc.input.dtype ?? "float"),
    });
  }
  return null;
}
