// Name, presets, import/export, code export, share, layout, undo/redo.
import { useRef, useState } from "react";
import { ApiError, api, type NetworkSpec, type PresetSummary } from "../api/client";
import type { Doc } from "./model";
import type { useEditor } from "./useEditor";

interface Props {
  doc: Doc;
  spec: NetworkSpec;
  presets: PresetSummary[];
  editor: ReturnType<typeof useEditor>;
  onTrain: () => void;
  canTrain: boolean;
  theme: "light" | "dark";
  onTheme: (theme: "light" | "dark") => void;
}

function download(name: string, text: string, type: string) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.click();
  URL.revokeObjectURL(url);
}

export function TopBar({ doc, spec, presets, editor, onTrain, canTrain, theme, onTheme }: Props) {
  const file = useRef<HTMLInputElement>(null);
  const [code, setCode] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const slug = (doc.name || "network").toLowerCase().replace(/[^a-z0-9]+/g, "-");
  return (
    <header className="top-bar">
      <strong className="brand">LayerLab</strong>
      <input className="network-name" aria-label="Network name" value={doc.name}
        onChange={(e) => editor.change({ ...doc, name: e.target.value }, false)} />
      <select aria-label="Load a preset" value="" data-testid="preset-picker"
        onChange={async (e) => e.target.value && editor.load(await api.preset(e.target.value))}>
        <option value="">Load a preset…</option>
        {presets.map((p) => <option key={p.name} value={p.name}>{p.title}</option>)}
      </select>
      <button type="button" onClick={editor.undo} disabled={!editor.history.past.length} title="Undo (Ctrl+Z)">Undo</button>
      <button type="button" onClick={editor.redo} disabled={!editor.history.future.length} title="Redo (Ctrl+Y)">Redo</button>
      <button type="button" onClick={editor.relayout} title="Arrange left to right">Auto-layout</button>
      <button type="button" onClick={() => file.current?.click()}>Import</button>
      <input ref={file} type="file" accept="application/json,.json" hidden aria-label="Import a spec"
        onChange={async (e) => {
          const chosen = e.target.files?.[0];
          if (!chosen) return;
          try {
            await editor.load(JSON.parse(await chosen.text()) as NetworkSpec);
          } catch (error) {
            setMessage(`That file is not a network spec: ${String(error)}`);
          }
          e.target.value = "";
        }} />
      <button type="button" onClick={() => download(`${slug}.json`, JSON.stringify(spec, null, 2), "application/json")}>Export JSON</button>
      <button type="button" onClick={async () => {
        try {
          setCode(await api.exportCode(spec));
        } catch (error) {
          setMessage(error instanceof ApiError ? `Fix the network first: ${error.issues[0]?.message ?? error.detail}` : String(error));
        }
      }}>Export PyTorch code</button>
      <button type="button" onClick={async () => {
        await navigator.clipboard?.writeText(window.location.href).catch(() => undefined);
        setMessage("The link to this network is in the address bar (and copied).");
      }}>Share</button>
      <button type="button" onClick={() => onTheme(theme === "light" ? "dark" : "light")}
        aria-label={`Switch to the ${theme === "light" ? "dark" : "light"} theme`}>{theme === "light" ? "Dark" : "Light"}</button>
      <button type="button" className="primary train-button" onClick={onTrain} disabled={!canTrain}
        title="Train (Ctrl+Enter)">Train</button>
      {message && <span className="top-message" role="status" onClick={() => setMessage(null)}>{message}</span>}
      {code !== null && (
        <div className="modal" role="dialog" aria-label="PyTorch code">
          <div className="modal-body">
            <header>
              <h2>PyTorch code</h2>
              <button type="button" onClick={() => download(`${slug}.py`, code, "text/x-python")}>Download</button>
              <button type="button" onClick={() => setCode(null)}>Close</button>
            </header>
            <pre data-testid="code">{code}</pre>
          </div>
        </div>
      )}
    </header>
  );
}
