// The Inspect tab: the run's views as the API lists them (GET /runs/{id}/inspect: its task,
// input and layers decide which apply), one tab each, and for views of one input a test sample.
import { useCallback, useEffect, useRef, useState, type ReactElement } from "react";
import { useTranslation } from "react-i18next";
import type { NetworkSpec } from "../api/client";
import { failure, listViews, type ViewEntry } from "./inspectApi";
import { ActivationsView } from "./ActivationsView";
import { AttentionView } from "./AttentionView";
import { ConfusionView } from "./ConfusionView";
import { DrawView } from "./DrawView";
import { EmbeddingView } from "./EmbeddingView";
import { SaveView, ViewAnswers } from "./SaveView";
import { ViewScope, type Scope } from "./useView";
import { FiltersView, HistogramsView, SaliencyView } from "./views";
import { LatentView } from "./LatentView";
import { ReconstructionView } from "./ReconstructionView";
import { SamplesView } from "./SamplesView";
import { GenerateView, PredictionsView, TranslateView } from "./SequenceViews";
import { StepView } from "./StepView";
import { UnitsView } from "./UnitsView";

interface TabProps {
  runId: string;
  sample: number;
  spec: NetworkSpec;
  tick: number; // epochs the run has reported: views that follow the training fetch again
}

interface Tab {
  label: string; // its name in the catalog
  sampled?: boolean; // a view of one test sample: the sample box shows with it
  draw: (props: TabProps) => ReactElement;
}

/** How each view is drawn, in tab order; a listed view without a tab here (predict,
 * boundary, latent/grid) is read by another tab or elsewhere. */
const TABS = {
  samples: { label: "views.samples", draw: ({ runId }) => <SamplesView runId={runId} /> },
  units: { label: "views.units", draw: ({ runId, tick }) => <UnitsView runId={runId} tick={tick} /> },
  activations: { label: "views.activations", sampled: true, draw: ({ runId, sample }) => <ActivationsView runId={runId} sample={sample} /> },
  filters: { label: "views.filters", draw: ({ runId }) => <FiltersView runId={runId} /> },
  attention: { label: "views.attention", sampled: true, draw: ({ runId, sample }) => <AttentionView runId={runId} sample={sample} /> },
  saliency: { label: "views.saliency", sampled: true, draw: ({ runId, sample }) => <SaliencyView runId={runId} sample={sample} /> },
  embedding: {
    label: "views.embedding",
    draw: ({ runId, spec }) => <EmbeddingView runId={runId} layers={spec.layers.map((l) => (l as { id: string }).id)} />,
  },
  confusion: { label: "views.confusion", draw: ({ runId }) => <ConfusionView runId={runId} /> },
  predictions: { label: "views.predictions", draw: ({ runId }) => <PredictionsView runId={runId} /> },
  reconstructions: { label: "views.reconstructions", draw: ({ runId }) => <ReconstructionView runId={runId} /> },
  latent: { label: "views.latentSpace", draw: ({ runId }) => <LatentView runId={runId} /> },
  generate: { label: "views.generate", draw: ({ runId }) => <GenerateView runId={runId} /> },
  translate: { label: "views.translate", draw: ({ runId }) => <TranslateView runId={runId} /> },
  histograms: { label: "views.histograms", draw: ({ runId }) => <HistogramsView runId={runId} /> },
  step: { label: "views.oneStep", draw: ({ runId }) => <StepView runId={runId} /> },
  draw: { label: "views.draw", draw: ({ runId }) => <DrawView runId={runId} /> },
} as const satisfies Record<string, Tab>;

/** A view with a tab: the name the API lists it by. */
export type View = keyof typeof TABS;

interface Props {
  runId: string;
  spec: NetworkSpec;
  version: string; // changes when the views should fetch again (the run's status)
  asked?: { view: View } | null; // a view asked for from outside (a lesson's "watch"); a new object each time
  tick?: number; // epochs the run has reported so far
  kept: Scope["kept"]; // the answers fetched before, kept by the page
}

/** The run's listed views, or why they could not be listed. */
function useViews(runId: string): { views: ViewEntry[] | null; error: string | null } {
  const [state, setState] = useState<{ views: ViewEntry[] | null; error: string | null }>({ views: null, error: null });
  useEffect(() => {
    let live = true;
    setState({ views: null, error: null });
    listViews(runId)
      .then((views) => live && setState({ views, error: null }))
      .catch((e: unknown) => live && setState({ views: null, error: failure(e) }));
    return () => { live = false; };
  }, [runId]);
  return state;
}

export function InspectPanel({ runId, spec, version, asked, tick = 0, kept }: Props) {
  const { t } = useTranslation("inspect");
  const { views: listed, error } = useViews(runId);
  const names = new Set(listed?.map((v) => v.name));
  const tabs = (Object.keys(TABS) as View[]).filter((name) => names.has(name));
  const [chosen, setView] = useState<View | null>(asked?.view ?? null);
  useEffect(() => {
    if (asked) setView(asked.view);
  }, [asked]);
  const view = chosen && tabs.includes(chosen) ? chosen : tabs[0]; // another run may not have it
  const [sample, setSample] = useState(0);
  const [refreshed, setRefreshed] = useState(0);
  const key = `${runId}:${version}:${refreshed}`;
  const body = useRef<HTMLDivElement>(null);
  const answers = useRef(new Map<string, unknown>());
  useEffect(() => { // the numbers of the view on screen only
    answers.current.clear();
  }, [view, key]);
  const report = useCallback((answer: string, data: unknown) => answers.current.set(answer, data), []);
  if (error) return <p className="error" role="alert">{error}</p>;
  if (!listed) return <p className="muted">{t("loading")}</p>;
  const tab: Tab | undefined = view ? TABS[view] : undefined;
  return (
    <section className="inspect" aria-label={t("panel.label")} data-views={tabs.join(" ")} data-version={version}>
      <nav className="tabs" role="tablist">
        {tabs.map((v) => (
          <button key={v} type="button" role="tab" aria-selected={view === v} className={view === v ? "active" : ""}
            onClick={() => setView(v)}>{t(TABS[v].label)}</button>
        ))}
        {tab?.sampled && (
          <label>{t("panel.testSample")}{" "}
            <input type="number" min={0} value={sample} aria-label={t("panel.testSample")}
              onChange={(e) => setSample(Math.max(0, Number(e.target.value) || 0))} />
          </label>
        )}
        <button type="button" onClick={() => setRefreshed((n) => n + 1)} title={t("panel.refreshTitle")}>{t("panel.refresh")}</button>
        {view && <SaveView target={body} answers={answers} name={`${spec.name || runId}-${view}`.replace(/[^\w.-]+/g, "_")} />}
      </nav>
      <ViewScope.Provider value={{ scope: key, kept }}>
        <ViewAnswers.Provider value={report}>
          <div key={key} ref={body} className="view-box">{tab?.draw({ runId, sample, spec, tick })}</div>
        </ViewAnswers.Provider>
      </ViewScope.Provider>
    </section>
  );
}
