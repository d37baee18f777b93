// The layer palette: generated from the catalog, grouped by category, searchable; drag
// an entry onto the canvas, or press Enter to add it after the selected layer.
import { Fragment, useMemo, useState } from "react";
import { useTranslation } from "react-i18next";
import type { LayerInfo } from "../api/client";
import { CATEGORY_ORDER, colourOf } from "./categories";
import { categoryLabel, layerDescription } from "./labels";

export const DRAG_TYPE = "application/x-layerlab-layer";

/** A layer type that may wrap after its underscores, so a long one fits the palette's width. */
function breakable(type: string) {
  return type.split("_").map((part, i, parts) => (
    <Fragment key={i}>{part}{i < parts.length - 1 && <>_<wbr /></>}</Fragment>));
}

interface Props {
  catalog: LayerInfo[];
  onAdd: (type: string) => void;
}

export function Palette({ catalog, onAdd }: Props) {
  const { t, i18n } = useTranslation("editor");
  const [query, setQuery] = useState("");
  const groups = useMemo(() => {
    const q = query.trim().toLowerCase();
    const shown = catalog.filter((l) => !q || l.type.includes(q) || l.description.toLowerCase().includes(q)
      || layerDescription(l).toLowerCase().includes(q));
    const categories = [...new Set([...CATEGORY_ORDER, ...shown.map((l) => l.category)])];
    return categories.map((c) => [c, shown.filter((l) => l.category === c)] as const).filter(([, ls]) => ls.length);
  }, [catalog, query, i18n.language]); // eslint-disable-line react-hooks/exhaustive-deps
  return (
    <nav className="palette" aria-label={t("palette.label")}>
      <input className="palette-search" type="search" placeholder={t("palette.search")} value={query}
        aria-label={t("palette.search")} onChange={(e) => setQuery(e.target.value)} />
      {groups.map(([category, layers]) => (
        <section key={category}>
          <h3 style={{ color: colourOf(category) }}>{categoryLabel(category)}</h3>
          <ul>
            {layers.map((layer) => (
              <li key={layer.type}>
                <button type="button" className="palette-item" draggable title={layerDescription(layer)}
                  data-testid={`palette-${layer.type}`} style={{ borderLeftColor: colourOf(layer.category) }}
                  onDragStart={(e) => {
                    e.dataTransfer.setData(DRAG_TYPE, layer.type);
                    e.dataTransfer.effectAllowed = "copy";
                  }}
                  onKeyDown={(e) => e.key === "Enter" && (e.preventDefault(), onAdd(layer.type))}
                  onDoubleClick={() => onAdd(layer.type)}>
                  {breakable(layer.type)}
                </button>
              </li>
            ))}
          </ul>
        </section>
      ))}
    </nav>
  );
}
