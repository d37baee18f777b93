// The playground: top bar, palette, canvas, inspector and the training dashboard.
import { ReactFlowProvider } from "@xyflow/react";
import { useEffect, useMemo, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { ApiError, IMPORTED, api, whoAmI, type ActivationCurves, type Assignment, type Me, type DatasetSummary, type MetaOut, type LayerInfo, type NetworkSpec, type PresetSummary, type RunOut } from "./api/client";
import { MetaContext } from "./api/meta";
import { ClassroomPanel } from "./classroom/ClassroomPanel";
import { changedLocks } from "./classroom/locks";
import { SignIn } from "./classroom/SignIn";
import { keepProgressOnServer } from "./lessons/progress";
import { TaskKindsContext, kindOf, useTaskKinds, type TaskKind } from "./taskKinds";
import { count, flops } from "./format";
import { Canvas } from "./editor/Canvas";
import { CanvasTools } from "./editor/CanvasTools";
import { DisconnectedContext } from "./editor/disconnected";
import { ActivationCurvesContext } from "./editor/activationPlot";
import { Inspector } from "./editor/Inspector";
import { fromSpec, toSpec, type Doc } from "./editor/model";
import { Palette } from "./editor/Palette";
import { TopBar } from "./editor/TopBar";
import { layout } from "./editor/layout";
import { fits, whyNotTrain } from "./editor/trainReadiness";
import { useDatasetDetail } from "./train/useDatasetDetail";
import { readUrl, writeUrl } from "./editor/urlState";
import { useEditor } from "./editor/useEditor";
import { useValidation } from "./editor/useValidation";
import { InspectPanel, type View as InspectView } from "./inspect/InspectPanel";
import { LessonsPanel, type LessonActions } from "./lessons/LessonsPanel";
import { SweepsPanel } from "./sweeps/SweepsPanel";
import { pathSuggestions } from "./sweeps/params";
import { Dashboard } from "./train/Dashboard";
import { forRun } from "./train/formLayout";
import { RunsPanel } from "./train/RunsPanel";
import { TrainingPanel, defaultsFor, type Training } from "./train/TrainingPanel";
import { useRunStream } from "./train/useRunStream";

export function App() {
  const { t } = useTranslation();
  const [catalog, setCatalog] = useState<LayerInfo[] | null>(null);
  const [presets, setPresets] = useState<PresetSummary[]>([]);
  const [initial, setInitial] = useState<Doc | null>(null);
  const [datasets, setDatasets] = useState<DatasetSummary[]>([]);
  const [sharedTraining, setSharedTraining] = useState<Training | null>(null);
  const [firstVisit, setFirstVisit] = useState(false);
  const [meta, setMeta] = useState<MetaOut | null>(null);
  const [curves, setCurves] = useState<ActivationCurves | null>(null);
  const [kinds, setKinds] = useState<TaskKind[]>([]);
  const [failure, setFailure] = useState<string | null>(null);
  // on a server with accounts: who is signed in ("signed out": the sign-in page); null: none
  const [me, setMeOnly] = useState<Me | null | "signed out" | undefined>(undefined);
  const setMe = (found: Me | null | "signed out") => {
    keepProgressOnServer(found !== null && found !== "signed out"); // before any lesson reads it
    setMeOnly(found);
  };

  useEffect(() => {
    whoAmI().then(setMe, (error: unknown) => setFailure(String(error)));
  }, []); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => {
    if (me === undefined || me === "signed out") return;
    (async () => {
      const [layers, presetList, datasetList, rules, taskKinds] = await Promise.all(
        [api.layers(), api.presets(), api.datasets(), api.meta(), api.tasks()]);
      const shared = readUrl();
      const first = !shared.spec && presetList.find((p) => p.name === FIRST_PRESET);
      if (shared.spec) setInitial(await layout(fromSpec(shared.spec as NetworkSpec)));
      else if (first) {
        // a first visit opens ready to train: a small network on a 2-D set, with its settings
        setInitial(await layout(fromSpec(await api.preset(first.name))));
        setFirstVisit(true);
      }
      if (shared.training) setSharedTraining(shared.training as Training);
      else if (first && first.training) setSharedTraining(first.training as unknown as Training);
      setPresets(presetList);
      setDatasets(datasetList);
      setMeta(rules);
      setKinds(taskKinds);
      setCatalog(layers);
    })().catch((error: unknown) => setFailure(String(error)));
    // the activations' charts are extras: the playground does not wait for them
    api.activations().then(setCurves, () => undefined);
  }, [me === undefined || me === "signed out"]); // eslint-disable-line react-hooks/exhaustive-deps

  if (me === "signed out") return <SignIn onSignedIn={setMe} />;
  if (failure) return <div className="fatal" role="alert">{t("app.noAnswer", { error: failure })}</div>;
  if (!catalog || !meta) return <div className="loading">{t("app.loading")}</div>;
  return (
    <MetaContext.Provider value={meta}>
      <ActivationCurvesContext.Provider value={curves}>
        <TaskKindsContext.Provider value={kinds}>
          <ReactFlowProvider>
            <Playground catalog={catalog} presets={presets} initial={initial} datasets={datasets}
              initialTraining={sharedTraining} firstVisit={firstVisit} me={me ?? null}
              onSignOut={() => api.signOut().then(() => setMe("signed out"), (error: unknown) => setFailure(String(error)))} />
          </ReactFlowProvider>
        </TaskKindsContext.Provider>
      </ActivationCurvesContext.Provider>
    </MetaContext.Provider>
  );
}

interface PlaygroundProps {
  catalog: LayerInfo[];
  presets: PresetSummary[];
  initial: Doc | null;
  datasets: DatasetSummary[];
  initialTraining: Training | null;
  firstVisit: boolean; // opened with no network in the URL: on the first preset, with a hint
  me: Me | null; // who is signed in, on a server with accounts
  onSignOut: () => void;
}

/** The network a first visit opens on: it trains in seconds on a 2-D set. */
const FIRST_PRESET = "toy-mlp";

/** A network loaded over another: what undo goes back to, and the settings each had. */
interface Load {
  before: Doc;
  after: Doc | null; // null until the loaded document arrives
  trainingBefore: Training | null;
  trainingAfter: Training | null;
}

/** What a lesson says to watch that the training dashboard shows. */
const CHART_VIEWS = new Set(["loss", "accuracy", "boundary"]);
/** The inspect view that shows the rest. */
const WATCHED: Record<string, InspectView> = {
  histograms: "histograms", filters: "filters", "feature maps": "activations", confusion: "confusion",
  reconstructions: "reconstructions", "latent space": "latent", samples: "samples", attention: "attention",
  units: "units",
};

function Playground({ catalog, presets, initial, datasets, initialTraining, firstVisit, me, onSignOut }: PlaygroundProps) {
  const { t } = useTranslation();
  const { t: tClass } = useTranslation("classroom");
  const editor = useEditor(catalog, initial);
  const { doc, selected } = editor;
  const validation = useValidation(doc);
  const kinds = useTaskKinds();
  const spec = useMemo(() => toSpec(doc), [doc]);
  const [training, setTraining] = useState<Training | null>(initialTraining);
  const chosenDataset = useDatasetDetail(training, datasets); // as its options make it
  const [runId, setRunId] = useState<string | null>(null);
  const [initFrom, setInitFrom] = useState<string | null>(null); // transfer: a run's weights
  const [trainError, setTrainError] = useState<string | null>(null);
  const [tab, setTab] = useState<"training" | "inspect" | "runs" | "sweeps" | "classroom">("training");
  const [assignment, setAssignment] = useState<Assignment | null>(null); // a student's, open in the editor
  const [sweepId, setSweepId] = useState<string | null>(null);
  const [inspectAsked, setInspectAsked] = useState<{ view: InspectView } | null>(null);
  const [hint, setHint] = useState(firstVisit);
  const [lessonsOpen, setLessonsOpen] = useState(() => localStorage.getItem("layerlab-lessons") === "open");
  useEffect(() => localStorage.setItem("layerlab-lessons", lessonsOpen ? "open" : "closed"), [lessonsOpen]);
  const [theme, setTheme] = useState<"light" | "dark">(() => {
    const stored = localStorage.getItem("layerlab-theme") === "dark" ? "dark" : "light";
    document.documentElement.dataset.theme = stored;
    return stored;
  });
  // the root takes the theme before anything renders with it: what paints a canvas reads
  // the theme's colours as it is made
  const changeTheme = (next: "light" | "dark") => {
    document.documentElement.dataset.theme = next;
    setTheme(next);
  };
  useEffect(() => localStorage.setItem("layerlab-theme", theme), [theme]);
  const view = useRunStream(runId);
  useEffect(() => writeUrl({ spec, training: training ?? undefined }), [spec, training]);
  useEffect(() => {
    // follow the network: a dataset that fits its input, unless the chosen one does (or the
    // task's network reads noise, not the dataset's samples, as a GAN's does)
    // (one whose options give a shape the server has not said yet stays)
    const chosen = datasets.find((d) => d.name === training?.dataset.name);
    const given = chosenDataset.given;
    if (chosen && (kindOf(kinds, training?.task)?.reads_samples === false || !given || fits(given, doc.input))) return;
    const fitting = datasets.find((d) => fits(d, doc.input)) ?? (training ? undefined : datasets[0]);
    if (fitting) setTraining(defaultsFor(fitting));
  }, [datasets, doc.input]); // eslint-disable-line react-hooks/exhaustive-deps
  // a load is one undo step of the editor: undoing it (or redoing it) brings back the
  // training settings that went with each network (after the dataset that follows the
  // input above, so these win)
  const loads = useRef<Load[]>([]);
  const inspected = useRef(new Map<string, Promise<unknown>>()); // the inspect views' answers, kept while the page lives
  const shown = useRef(doc);
  useEffect(() => {
    const previous = shown.current;
    shown.current = doc;
    const pending = loads.current.find((l) => l.after === null);
    if (pending) {
      pending.after = doc;
      return;
    }
    const undone = loads.current.find((l) => l.after === previous && l.before === doc);
    const redone = loads.current.find((l) => l.before === previous && l.after === doc);
    if (undone) {
      undone.trainingAfter = training;
      if (undone.trainingBefore) setTraining(undone.trainingBefore);
    } else if (redone) {
      redone.trainingBefore = training;
      if (redone.trainingAfter) setTraining(redone.trainingAfter);
    }
  }, [doc]); // eslint-disable-line react-hooks/exhaustive-deps

  /** Start a run (a new one, or an edited continuation of the current one) and show it;
   * its id, or null when the server refused it (the reason is shown). */
  const start = async (make: () => Promise<{ id: string }>): Promise<string | null> => {
    setTrainError(null);
    try {
      const run = await make();
      setRunId(run.id);
      setTab("training");
      return run.id;
    } catch (error) {
      // an issue that only repeats the answer's message (a refused training setting) adds nothing
      setTrainError(error instanceof ApiError
        ? [error.detail, ...error.issues.filter((i) => i.message !== error.detail)
          .map((i) => [i.layer_id, i.field, i.message].filter(Boolean).join(": "))].join(" — ")
        : String(error));
      return null;
    }
  };
  const broken = assignment && training ? changedLocks(assignment, spec, forRun(training)) : [];
  const notReady = broken.length ? tClass("lockedChanged", { fields: broken.join(", ") }) : whyNotTrain(doc, validation, {
    hasTraining: !!training, dataset: chosenDataset.given, readsSamples: kindOf(kinds, training?.task)?.reads_samples !== false,
  });
  const train = async () => {
    setHint(false);
    if (training && !notReady) await start(() => api.createRun(spec, forRun(training), initFrom, assignment?.id));
  };
  const continueRun = async () => {
    if (training && runId) await start(() => api.continueRun(runId, spec, forRun(training)));
  };
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && e.key === "Enter") {
        e.preventDefault();
        void train();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  });

  /** Another network in the editor (with its training settings, where it brings them, and
   * the weights it starts from), as one undo step: the old run's dashboard goes with the
   * old network. */
  const loadNetwork = async (network: NetworkSpec, settings: Training | null, weights: string | null) => {
    loads.current = [...loads.current.slice(-50), { before: doc, after: null, trainingBefore: training,
      trainingAfter: settings ?? training }];
    setRunId(null);
    setHint(false);
    if (settings) setTraining(settings);
    setInitFrom(weights);
    await editor.load(network);
  };
  /** A finished or running run in the editor and the dashboard (from the runs or a sweep). */
  const openRun = (run: RunOut) => {
    void loadNetwork(run.spec, run.training as unknown as Training, null);
    setRunId(run.id);
    setTab("training");
  };
  /** An assignment's starter network and settings in the editor; its runs are checked
   * against what it locks. */
  const openAssignment = (chosen: Assignment | null) => {
    setAssignment(chosen);
    if (chosen) void loadNetwork(chosen.network, chosen.training as unknown as Training, null);
  };
  const hidden = new Set<string>(assignment?.hidden ?? []);
  const datasetOptions = Object.keys((datasets.find((d) => d.name === training?.dataset.name)?.options_schema as
    { properties?: object } | undefined)?.properties ?? {});
  const suggestions = useMemo(() => pathSuggestions(doc, catalog, datasetOptions),
    [doc, catalog, datasetOptions.join()]); // eslint-disable-line react-hooks/exhaustive-deps

  const inspectable = view.status !== "queued" && !!view.epochs.step?.length; // after its first epoch
  /** A lesson's network and settings in the editor, and the weights it starts from. */
  const show = (network: NetworkSpec, settings: unknown, weights: string | null) =>
    loadNetwork(network, settings as Training, weights);
  /** A preset: its network, and the training settings it was made for (where it has
   * them: the ImageNet classics keep the current ones). */
  const loadPreset = async (name: string) => {
    const own = presets.find((p) => p.name === name)?.training;
    await loadNetwork(await api.preset(name), (own as unknown as Training | undefined) ?? null, null);
  };
  /** A spec file, or a preset file with its training settings. */
  const importFile = async (file: unknown) => {
    const { training: own, ...network } = file as NetworkSpec & { training?: unknown };
    await loadNetwork(network, (own as Training | undefined) ?? null, null);
  };
  /** An ONNX file into the editor; the next run starts from its weights. */
  const importOnnx = async (file: File) => {
    const made = await api.importOnnx(file);
    await loadNetwork(made.network, null, `${IMPORTED}${made.id}`);
    return t(made.carried ? "topBar.importedOwn" : "topBar.importedConverted",
      { name: made.name, count: made.network.layers.length });
  };
  const lessonActions: LessonActions = {
    apply: (experiment, weights) => show(experiment.network, experiment.training, weights),
    train: async (experiment, weights) => {
      await show(experiment.network, experiment.training, weights);
      return start(() => api.createRun(experiment.network, experiment.training, weights));
    },
    load: (lesson) => show(lesson.network, lesson.training, null),
    watch: (watched) => {
      if (watched === "runs") setTab("runs");
      else if (!runId) return; // nothing to watch before a run
      else if (CHART_VIEWS.has(watched) || !WATCHED[watched] || !inspectable) setTab("training");
      else {
        setInspectAsked({ view: WATCHED[watched] });
        setTab("inspect");
      }
    },
  };

  const selectedLayer = selected === "input" ? "input" : doc.layers.find((l) => l.id === selected) ?? null;
  const summary = validation.summary;
  const fixed = !!summary && summary.trainable !== false && !validation.pending;
  return (
    <div className={lessonsOpen ? "app with-lessons" : "app"}>
      <TopBar doc={doc} spec={spec} training={training ? forRun(training) : null} presets={presets} editor={editor}
        onTrain={train} notReady={notReady} fixed={fixed} theme={theme} onTheme={changeTheme}
        lessonsOpen={lessonsOpen} onLessons={setLessonsOpen} onPreset={loadPreset} onImport={importFile}
        onImportOnnx={importOnnx} />
      {lessonsOpen && (
        <LessonsPanel actions={lessonActions} current={{ runId, status: view.status }} onClose={() => setLessonsOpen(false)} />
      )}
      {hidden.has("palette") ? <aside className="palette"><p className="muted">{tClass("paletteHidden")}</p></aside>
        : <Palette catalog={catalog} onAdd={(type) => editor.addLayer(type, undefined, selected ?? "input")} />}
      <main className="centre">
        <DisconnectedContext.Provider value={validation.disconnected}>
          <Canvas doc={doc} catalog={catalog} summary={validation.shown} layerErrors={validation.layerErrors}
            selected={selected} fitKey={editor.fitKey} colorMode={theme} direction={editor.direction}
            minimap={editor.minimap} onSelect={editor.setSelected} onChange={editor.change}
            onDropLayer={(type, at, onto) => editor.addLayer(type, at, selected ?? "input", onto)} tools={<CanvasTools editor={editor} />} />
        </DisconnectedContext.Provider>
        {hint && (
          <p className="first-hint" data-testid="first-hint">
            {t("firstVisit.hint")}{" "}
            <button type="button" className="link" onClick={() => setLessonsOpen(true)}>{t("firstVisit.lessons")}</button>
            <button type="button" className="link" aria-label={t("firstVisit.close")} onClick={() => setHint(false)}>×</button>
          </p>
        )}
        <footer className="status-bar" data-testid="status-bar" data-pending={validation.pending}>
          <div className="status-line">
            {validation.hint ? <span className="muted">{validation.hint}</span>
              : validation.networkError ? <span className="error">{validation.networkError}</span>
              : summary ? <span>{t("status.summary", { params: count(summary.total_params), flops: flops(summary.total_flops), shape: summary.output_shape.join("×") })}</span>
              : validation.layerErrors.size ? <span className="error">{t("status.needAttention", { count: validation.layerErrors.size })}</span>
              : <span>{t("status.checking")}</span>}
            {summary && !summary.trainable && (
              <span className="error" data-testid="not-trainable"
                title={(summary.over_limits ?? []).map((issue) => issue.message).join("\n")}>{t("status.notTrainable")}</span>
            )}
            {validation.millis !== null && <span className="muted checked-in" data-testid="validate-ms">{t("status.checkedIn", { ms: Math.round(validation.millis) })}</span>}
          </div>
        </footer>
      </main>
      {/* with a run open the dock keeps one height, so data arriving never moves its tabs */}
      <section className={runId || tab === "classroom" ? "dash with-run" : "dash"}>
        {trainError && (
          <p className="error" role="alert" data-testid="train-error" title={t("app.dismiss")}
            onClick={() => setTrainError(null)}>{trainError}</p>
        )}
        <nav className="tabs" role="tablist" aria-label={t("tabs.label")}>
          {runId && (
            <button type="button" role="tab" aria-selected={tab === "training"} className={tab === "training" ? "active" : ""}
              onClick={() => setTab("training")}>{t("tabs.training")}</button>
          )}
          {runId && (
            <button type="button" role="tab" aria-selected={tab === "inspect"} className={tab === "inspect" ? "active" : ""}
              onClick={() => setTab("inspect")} disabled={!inspectable}
              title={t("tabs.inspectTitle")}>{t("tabs.inspect")}</button>
          )}
          <button type="button" role="tab" aria-selected={tab === "runs"} className={tab === "runs" ? "active" : ""}
            onClick={() => setTab(tab === "runs" && runId ? "training" : "runs")}>{t("tabs.runs")}</button>
          <button type="button" role="tab" aria-selected={tab === "sweeps"} className={tab === "sweeps" ? "active" : ""}
            onClick={() => setTab(tab === "sweeps" && runId ? "training" : "sweeps")}>{t("tabs.sweeps")}</button>
          {me && (
            <button type="button" role="tab" aria-selected={tab === "classroom"} className={tab === "classroom" ? "active" : ""}
              onClick={() => setTab(tab === "classroom" && runId ? "training" : "classroom")}>{t("tabs.classroom")}</button>
          )}
        </nav>
        {assignment && (
          <p className="assignment-banner" data-testid="assignment-banner">
            {tClass("working", { title: assignment.title })}{" "}
            <button type="button" className="link" onClick={() => setAssignment(null)}>{tClass("leave")}</button>
          </p>
        )}
        {runId && tab === "training" && <Dashboard runId={runId} view={view} onContinue={continueRun} />}
        {me && tab === "classroom" && (
          <ClassroomPanel me={me} spec={spec} training={training ? forRun(training) : null} runId={runId} active={assignment}
            onOpenAssignment={openAssignment} onSignOut={onSignOut}
            onOpenRun={(id) => void api.run(id).then(openRun, (error: unknown) => setTrainError(String(error)))} />
        )}
        {tab === "runs" && (
          <RunsPanel datasets={datasets.map((d) => d.name)} current={runId} onOpen={openRun} />
        )}
        {tab === "sweeps" && (
          <SweepsPanel spec={spec} training={training} suggestions={suggestions} selected={sweepId} onSelect={setSweepId}
            onOpen={(id) => void api.run(id).then(openRun).catch((error: unknown) => setTrainError(String(error)))} />
        )}
        {runId && tab === "inspect" && view.run && (
          <InspectPanel runId={runId} spec={view.run.spec} version={view.status} asked={inspectAsked}
            tick={view.epochs.epoch?.length ?? 0} kept={inspected.current} />
        )}
      </section>
      <aside className="inspector" aria-label={t("app.inspector")}>
        {selectedLayer === null && (
          <TrainingPanel training={training} datasets={datasets} chosen={chosenDataset} inputShape={doc.input.shape}
            onChange={setTraining}
            layerIds={doc.layers.map((l) => l.id)} initFrom={initFrom} onInitFrom={setInitFrom} hidden={hidden}
            onUseInputShape={(shape) => editor.change({ ...doc, input: { ...doc.input, shape } })} />
        )}
        <Inspector doc={doc} selected={selectedLayer} catalog={catalog} summary={validation.shown}
          fieldErrors={(selected && validation.fieldErrors.get(selected)) || {}}
          layerError={selected ? validation.layerErrors.get(selected) : undefined}
          onLayer={(layer) => editor.change({ ...doc, layers: doc.layers.map((l) => (l.id === layer.id ? layer : l)) })}
          onRename={editor.rename}
          onInput={(input) => editor.change({ ...doc, input })} />
      </aside>
    </div>
  );
}
