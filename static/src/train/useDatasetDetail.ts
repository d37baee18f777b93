// The chosen dataset as its options make it: the input a window length or a 2-D set's
// features give is the server's to say, so it is asked, with the first samples for the
// preview. Without options the listed dataset is what it gives.
import { useEffect, useState } from "react";
import { api, type DatasetDetail, type DatasetSummary } from "../api/client";
import type { Training } from "./TrainingPanel";

export interface ChosenDataset {
  /** The dataset with its options as the server describes it, with its first samples;
   * the last one described while the next is asked (null: none yet, or it failed). */
  detail: DatasetDetail | null;
  /** What the dataset gives with these options, where that is known yet. */
  given: DatasetSummary | undefined;
}

export function useDatasetDetail(training: Training | null, datasets: DatasetSummary[]): ChosenDataset {
  const [described, setDescribed] = useState<{ key: string; detail: DatasetDetail } | null>(null);
  const name = training?.dataset.name;
  const options = training?.dataset.options ?? {};
  const key = JSON.stringify([name, options]);
  useEffect(() => {
    if (!name) return;
    let live = true;
    api.dataset(name, 8, options)
      .then((detail) => live && setDescribed({ key, detail }))
      .catch(() => live && setDescribed(null));
    return () => { live = false; };
  }, [key]); // eslint-disable-line react-hooks/exhaustive-deps
  const detail = described && described.detail.name === name ? described.detail : null;
  const given = described && described.key === key ? described.detail
    : Object.keys(options).length ? undefined : datasets.find((d) => d.name === name);
  return { detail, given };
}
