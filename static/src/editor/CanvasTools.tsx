// Undo, redo and auto-layout, over the canvas's top-left corner (where the graph they
// change is); Ctrl+Z and Ctrl+Y do the first two from anywhere.
import { useTranslation } from "react-i18next";
import type { useEditor } from "./useEditor";

export function CanvasTools({ editor }: { editor: ReturnType<typeof useEditor> }) {
  const { t } = useTranslation("editor");
  return (
    <div className="canvas-tools" role="toolbar" aria-label={t("tools.label")}>
      <button type="button" onClick={editor.undo} disabled={!editor.history.past.length} title={t("tools.undoTitle")}>{t("tools.undo")}</button>
      <button type="button" onClick={editor.redo} disabled={!editor.history.future.length} title={t("tools.redoTitle")}>{t("tools.redo")}</button>
      <button type="button" onClick={editor.relayout} title={t("tools.autoLayoutTitle")}>{t("tools.autoLayout")}</button>
    </div>
  );
}
