// Undo, redo, auto-layout and how the canvas shows the network (the layout's direction,
// the minimap), over the canvas's top-left corner (where the graph they change is);
// Ctrl+Z and Ctrl+Y do the first two from anywhere.
import { useTranslation } from "react-i18next";
import type { useEditor } from "./useEditor";
import type { Direction } from "./viewPrefs";

export function CanvasTools({ editor }: { editor: ReturnType<typeof useEditor> }) {
  const { t } = useTranslation("editor");
  return (
    <div className="canvas-tools" role="toolbar" aria-label={t("tools.label")}>
      <button type="button" onClick={editor.undo} disabled={!editor.history.past.length} title={t("tools.undoTitle")}>{t("tools.undo")}</button>
      <button type="button" onClick={editor.redo} disabled={!editor.history.future.length} title={t("tools.redoTitle")}>{t("tools.redo")}</button>
      <button type="button" onClick={editor.relayout} title={t("tools.autoLayoutTitle")}>{t("tools.autoLayout")}</button>
      <select value={editor.direction} aria-label={t("tools.direction")} title={t("tools.directionTitle")}
        data-testid="layout-direction" onChange={(e) => editor.setDirection(e.target.value as Direction)}>
        <option value="RIGHT">{t("tools.right")}</option>
        <option value="DOWN">{t("tools.down")}</option>
      </select>
      <button type="button" aria-pressed={editor.minimap} onClick={() => editor.setMinimap(!editor.minimap)}
        title={t("tools.minimapTitle")} data-testid="minimap-toggle">{t("tools.minimap")}</button>
    </div>
  );
}
