// The Inspect tab: pick a view and, for views of one input, a test sample.
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import type { NetworkSpec } from "../api/client";
import {
  ActivationsView, AttentionView, ConfusionView, DrawView, EmbeddingView, FiltersView, HistogramsView, SaliencyView,
} from "./views";
import { LatentView } from "./LatentView";
import { ReconstructionView } from "./ReconstructionView";
import { SamplesView } from "./SamplesView";
import { GenerateView, PredictionsView } from "./SequenceViews";
import { StepView } from "./StepView";

export type View = "activations" | "filters" | "attention" | "saliency" | "embedding" | "confusion" | "histograms" | "draw"
  | "one step" | "predictions" | "generate" | "reconstructions" | "latent space" | "samples";

/** Each view's tab label in the catalog. */
const LABELS = {
  activations: "views.activations",
  filters: "views.filters",
  attention: "views.attention",
  saliency: "views.saliency",
  embedding: "views.embedding",
  confusion: "views.confusion",
  histograms: "views.histograms",
  draw: "views.draw",
  "one step": "views.oneStep",
  predictions: "views.predictions",
  generate: "views.generate",
  reconstructions: "views.reconstructions",
  "latent space": "views.latentSpace",
  samples: "views.samples",
} as const satisfies Record<View, string>;

interface Props {
  runId: string;
  spec: NetworkSpec;
  task: string | undefined; // the run's task: classification, regression, sequence, ...
  version: string; // changes when the views should fetch again (the run's status)
  asked?: { view: View } | null; // a view asked for from outside (a lesson's "watch"); a new object each time
}

/** The views a run can give: a GAN's network reads noise, not the dataset's samples, so
 * it has none of the views that feed it one (the API refuses them). */
function viewsOf(spec: NetworkSpec, task: string | undefined): View[] {
  const types = new Set(spec.layers.map((l) => (l as { type: string }).type));
  const input = spec.input as { shape: number[]; dtype?: string };
  const convolutions = [...types].some((t) => t.startsWith("conv"));
  if (task === "gan") return ["samples", ...(convolutions ? ["filters" as const] : []), "histograms"];
  const views: View[] = ["activations"];
  if (convolutions) views.push("filters");
  if (types.has("multihead_attention") || types.has("transformer_encoder_block")) views.push("attention");
  if (input.dtype !== "token") views.push("saliency");
  views.push("embedding");
  if (task === "classification") views.push("confusion");
  if (task === "regression") views.push("predictions");
  if (task === "reconstruction" || task === "vae") views.push("reconstructions");
  if (task === "vae") views.push("latent space");
  if (task === "sequence" && input.dtype === "token") views.push("generate");
  views.push("histograms", "one step");
  if (input.shape.length === 3 && input.shape[0] === 1 && input.dtype !== "token") views.push("draw");
  return views;
}

export function InspectPanel({ runId, spec, task, version, asked }: Props) {
  const { t } = useTranslation("inspect");
  const views = viewsOf(spec, task);
  const [chosen, setView] = useState<View>(asked?.view ?? views[0]);
  useEffect(() => {
    if (asked) setView(asked.view);
  }, [asked]);
  const view = views.includes(chosen) ? chosen : views[0]; // another run may not have it
  const [sample, setSample] = useState(0);
  const [refreshed, setRefreshed] = useState(0);
  const key = `${runId}:${version}:${refreshed}`;
  return (
    <section className="inspect" aria-label={t("panel.label")}>
      <nav className="tabs" role="tablist">
        {views.map((v) => (
          <button key={v} type="button" role="tab" aria-selected={view === v} className={view === v ? "active" : ""}
            onClick={() => setView(v)}>{t(LABELS[v])}</button>
        ))}
        {(view === "activations" || view === "attention" || view === "saliency") && (
          <label>{t("panel.testSample")}{" "}
            <input type="number" min={0} value={sample} aria-label={t("panel.testSample")}
              onChange={(e) => setSample(Math.max(0, Number(e.target.value) || 0))} />
          </label>
        )}
        <button type="button" onClick={() => setRefreshed((n) => n + 1)} title={t("panel.refreshTitle")}>{t("panel.refresh")}</button>
      </nav>
      <div key={key}>
        {view === "activations" && <ActivationsView runId={runId} sample={sample} />}
        {view === "filters" && <FiltersView runId={runId} />}
        {view === "attention" && <AttentionView runId={runId} sample={sample} />}
        {view === "saliency" && <SaliencyView runId={runId} sample={sample} />}
        {view === "embedding" && (
          <EmbeddingView runId={runId} layers={spec.layers.map((l) => (l as { id: string }).id)} />
        )}
        {view === "confusion" && <ConfusionView runId={runId} />}
        {view === "histograms" && <HistogramsView runId={runId} />}
        {view === "draw" && <DrawView runId={runId} />}
        {view === "one step" && <StepView runId={runId} />}
        {view === "predictions" && <PredictionsView runId={runId} />}
        {view === "generate" && <GenerateView runId={runId} />}
        {view === "latent space" && <LatentView runId={runId} />}
        {view === "reconstructions" && <ReconstructionView runId={runId} />}
        {view === "samples" && <SamplesView runId={runId} />}
      </div>
    </section>
  );
}
