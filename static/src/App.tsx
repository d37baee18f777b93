// The playground: top bar, palette, canvas, inspector and the training dashboard.
import { ReactFlowProvider } from "@xyflow/react";
import { useEffect, useMemo, useState } from "react";
import { api, type LayerInfo, type NetworkSpec, type PresetSummary } from "./api/client";
import { count, flops } from "./format";
import { Canvas } from "./editor/Canvas";
import { Inspector } from "./editor/Inspector";
import { fromSpec, toSpec, type Doc } from "./editor/model";
import { Palette } from "./editor/Palette";
import { TopBar } from "./editor/TopBar";
import { layout } from "./editor/layout";
import { readUrl, writeUrl } from "./editor/urlState";
import { useEditor } from "./editor/useEditor";
import { useValidation } from "./editor/useValidation";

export function App() {
  const [catalog, setCatalog] = useState<LayerInfo[] | null>(null);
  const [presets, setPresets] = useState<PresetSummary[]>([]);
  const [initial, setInitial] = useState<Doc | null>(null);
  const [failure, setFailure] = useState<string | null>(null);

  useEffect(() => {
    (async () => {
      const [layers, presetList] = await Promise.all([api.layers(), api.presets()]);
      const shared = readUrl();
      if (shared.spec) setInitial(await layout(fromSpec(shared.spec as NetworkSpec)));
      setPresets(presetList);
      setCatalog(layers);
    })().catch((error: unknown) => setFailure(String(error)));
  }, []);

  if (failure) return <div className="fatal" role="alert">The server did not answer: {failure}</div>;
  if (!catalog) return <div className="loading">Loading the layer catalog…</div>;
  return (
    <ReactFlowProvider>
      <Playground catalog={catalog} presets={presets} initial={initial} />
    </ReactFlowProvider>
  );
}

interface PlaygroundProps {
  catalog: LayerInfo[];
  presets: PresetSummary[];
  initial: Doc | null;
}

function Playground({ catalog, presets, initial }: PlaygroundProps) {
  const editor = useEditor(catalog, initial);
  const { doc, selected } = editor;
  const validation = useValidation(doc);
  const spec = useMemo(() => toSpec(doc), [doc]);
  useEffect(() => writeUrl({ spec }), [spec]);

  const selectedLayer = selected === "input" ? "input" : doc.layers.find((l) => l.id === selected) ?? null;
  const summary = validation.summary;
  return (
    <div className="app">
      <TopBar doc={doc} spec={spec} presets={presets} editor={editor} />
      <Palette catalog={catalog} onAdd={(type) => editor.addLayer(type, undefined, selected ?? "input")} />
      <main className="centre">
        <Canvas doc={doc} catalog={catalog} summary={summary} layerErrors={validation.layerErrors}
          selected={selected} fitKey={editor.fitKey} onSelect={editor.setSelected} onChange={editor.change}
          onDropLayer={(type, at) => editor.addLayer(type, at)} />
        <footer className="status-bar" data-testid="status-bar">
          {validation.networkError ? <span className="error">{validation.networkError}</span>
            : summary ? <span>{count(summary.total_params)} params · {flops(summary.total_flops)} · output {summary.output_shape.join("×")}</span>
            : validation.layerErrors.size ? <span className="error">{validation.layerErrors.size} layer(s) need attention</span>
            : <span>checking…</span>}
          {validation.millis !== null && <span className="muted" data-testid="validate-ms">checked in {Math.round(validation.millis)} ms</span>}
        </footer>
      </main>
      <aside className="inspector" aria-label="Inspector">
        <Inspector doc={doc} selected={selectedLayer} catalog={catalog} summary={summary}
          fieldErrors={(selected && validation.fieldErrors.get(selected)) || {}}
          layerError={selected ? validation.layerErrors.get(selected) : undefined}
          onLayer={(layer) => editor.change({ ...doc, layers: doc.layers.map((l) => (l.id === layer.id ? layer : l)) })}
          onRename={editor.rename}
          onInput={(input) => editor.change({ ...doc, input })} />
      </aside>
    </div>
  );
}
