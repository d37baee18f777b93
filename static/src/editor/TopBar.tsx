// Name, presets, import and export, share, theme, language, train. Undo, redo and
// auto-layout sit on the canvas (CanvasTools).
import { useEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import type { NetworkSpec, PresetSummary } from "../api/client";
import { LANGS, type Lang } from "../i18n";
import { ExportMenu } from "./ExportMenu";
import type { Doc } from "./model";
import type { useEditor } from "./useEditor";

interface Props {
  doc: Doc;
  spec: NetworkSpec;
  /** The training settings, saved with the network in an exported project file. */
  training: Record<string, unknown> | null;
  presets: PresetSummary[];
  editor: ReturnType<typeof useEditor>;
  onTrain: () => void;
  /** Why Train is disabled (shown beside it and read with it), null when it is enabled. */
  notReady: string | null;
  /** The network validates and trains here: a refused export's notice goes once it is fixed. */
  fixed: boolean;
  theme: "light" | "dark";
  onTheme: (theme: "light" | "dark") => void;
  lessonsOpen: boolean;
  onLessons: (open: boolean) => void;
  /** Loads a preset: its network and the training settings it was made for. */
  onPreset: (name: string) => Promise<void>;
  /** Opens a network spec file, or a preset file with its training settings. */
  onImport: (file: unknown) => Promise<void>;
  /** Imports an ONNX file into the editor; resolves to what to tell the user. */
  onImportOnnx: (file: File) => Promise<string>;
}

/** A notice under the bar; one about an export refused names the network it refused. */
interface Notice {
  text: string;
  refused?: NetworkSpec;
}

export function TopBar({ doc, spec, training, presets, editor, onTrain, notReady, fixed, theme, onTheme, lessonsOpen, onLessons,
  onPreset, onImport, onImportOnnx }: Props) {
  const { t, i18n } = useTranslation();
  const file = useRef<HTMLInputElement>(null);
  const [notice, setNotice] = useState<Notice | null>(null);
  const setMessage = (text: string | null) => setNotice(text === null ? null : { text });
  useEffect(() => { // the refusal's cause is gone once an edited network validates
    if (notice?.refused && notice.refused !== spec && fixed) setNotice(null);
  }, [notice, spec, fixed]);
  const slug = (doc.name || "network").toLowerCase().replace(/[^a-z0-9]+/g, "-");
  return (
    <header className="top-bar">
      <strong className="brand">LayerLab</strong>
      <button type="button" aria-pressed={lessonsOpen} onClick={() => onLessons(!lessonsOpen)}
        data-testid="lessons-toggle">{t("topBar.lessons")}</button>
      <input className="network-name" aria-label={t("topBar.networkName")} value={doc.name}
        onChange={(e) => editor.change({ ...doc, name: e.target.value }, false)} />
      <select aria-label={t("topBar.loadPreset")} value="" data-testid="preset-picker"
        onChange={async (e) => {
          // the editor's keys (Ctrl+Z undoes the load) pass over a focused picker
          e.target.blur();
          if (e.target.value) await onPreset(e.target.value);
        }}>
        <option value="">{t("topBar.loadPresetChoice")}</option>
        {presets.map((p) => <option key={p.name} value={p.name}>{p.title}</option>)}
      </select>
      <button type="button" onClick={() => file.current?.click()}>{t("topBar.import")}</button>
      <input ref={file} type="file" accept="application/json,.json,.onnx" hidden aria-label={t("topBar.importSpec")}
        onChange={async (e) => {
          const chosen = e.target.files?.[0];
          if (!chosen) return;
          const onnx = chosen.name.toLowerCase().endsWith(".onnx");
          if (onnx) setMessage(t("topBar.importingOnnx", { file: chosen.name }));
          try {
            if (onnx) setMessage(await onImportOnnx(chosen));
            else await onImport(JSON.parse(await chosen.text()));
          } catch (error) {
            const why = error instanceof Error ? error.message : String(error);
            setMessage(t(onnx ? "topBar.notOnnx" : "topBar.notASpec", { error: why }));
          }
          e.target.value = "";
        }} />
      <ExportMenu spec={spec} training={training} slug={slug} onRefused={(text) => setNotice({ text, refused: spec })} />
      <button type="button" onClick={async () => {
        await navigator.clipboard?.writeText(window.location.href).catch(() => undefined);
        setMessage(t("topBar.shared"));
      }}>{t("topBar.share")}</button>
      <button type="button" onClick={() => onTheme(theme === "light" ? "dark" : "light")}
        aria-label={theme === "light" ? t("topBar.toDark") : t("topBar.toLight")}>{theme === "light" ? t("topBar.dark") : t("topBar.light")}</button>
      <select aria-label={t("topBar.language")} value={i18n.language} data-testid="language"
        onChange={(e) => void i18n.changeLanguage(e.target.value as Lang)}>
        {LANGS.map((lang) => <option key={lang} value={lang}>{t(`languages.${lang}`)}</option>)}
      </select>
      <button type="button" className="primary train-button" onClick={onTrain} disabled={!!notReady}
        aria-describedby={notReady ? "train-why" : undefined}
        title={notReady ?? t("topBar.trainTitle")}>{t("topBar.train")}</button>
      {(notReady || notice) && <div className="top-notes">
        {notReady && <span className="train-why" id="train-why" data-testid="train-why">{notReady}</span>}
        {notice && (
          <span className="top-message" role="status" data-testid="top-message" onClick={() => setNotice(null)}>
            {notice.text}
            <button type="button" className="dismiss" aria-label={t("topBar.dismiss")} title={t("topBar.dismiss")}
              onClick={() => setNotice(null)}>×</button>
          </span>
        )}
      </div>}
    </header>
  );
}
