// A conv2d layer's kernel as grids of numbers, one per filter and input channel, with
// presets; the values go to the spec's `weights` field (clearing gives the random start).
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { fromGrids, kernelSize, MAX_GRIDS, MAX_SIDE, PRESETS, presetGrid, toGrids, type Grid, type Preset } from "./kernels";

type Params = Record<string, unknown>;

interface Props {
  params: Params;
  channels: number; // input channels per group
  error?: string;
  onChange: (params: Params) => void;
}

function Cell({ value, label, onCommit }: { value: number; label: string; onCommit: (v: number) => void }) {
  const [draft, setDraft] = useState(String(value));
  useEffect(() => setDraft(String(value)), [value]);
  const commit = () => {
    const v = Number(draft.replace(",", "."));
    if (draft.trim() !== "" && Number.isFinite(v)) onCommit(v);
    else setDraft(String(value));
  };
  return (
    <input className="kernel-cell" type="text" inputMode="decimal" aria-label={label} value={draft}
      onChange={(e) => setDraft(e.target.value)} onBlur={commit} onKeyDown={(e) => e.key === "Enter" && commit()} />
  );
}

function withoutWeights(params: Params): Params {
  const rest = { ...params };
  delete rest.weights;
  return rest;
}

export function KernelGrid({ params, channels, error, onChange }: Props) {
  const { t } = useTranslation("editor");
  const [h, w] = kernelSize(params.kernel_size);
  const filters = typeof params.filters === "number" ? params.filters : 1;
  const weights = params.weights as { kernel?: unknown; bias?: unknown } | null | undefined;
  if (h > MAX_SIDE || w > MAX_SIDE || filters * channels > MAX_GRIDS) {
    return <p className="hint" data-testid="kernel-too-big">{t("kernel.tooBig", { side: MAX_SIDE, grids: MAX_GRIDS })}</p>;
  }
  const grids = toGrids(weights?.kernel, filters, channels, h, w);
  const set = (next: Grid[][], size?: number) =>
    onChange({ ...params, ...(size === undefined ? {} : { kernel_size: size }),
      weights: { ...(weights ?? {}), kernel: fromGrids(next) } });
  const choose = (preset: Preset) => {
    const grid = presetGrid(preset, h, w); // Laplacian and Sobel x are 3 x 3 whatever the size
    const size = grid.length === h && grid[0].length === w ? undefined : grid.length;
    set(Array.from({ length: filters }, () => Array.from({ length: channels }, () => grid.map((row) => [...row]))), size);
  };
  return (
    <div className={`field kernel${error ? " invalid" : ""}`} data-field="weights" data-testid="kernel-editor">
      <label>{t("kernel.title")}</label>
      <div className="kernel-presets">
        <select aria-label={t("kernel.preset")} value="" onChange={(e) => e.target.value && choose(e.target.value as Preset)}>
          <option value="">{t("kernel.preset")}</option>
          {PRESETS.map((p) => <option key={p} value={p}>{t(`kernel.presets.${p}`)}</option>)}
        </select>
        {weights && <button type="button" onClick={() => onChange(withoutWeights(params))}>{t("kernel.clear")}</button>}
      </div>
      {!weights && <small className="hint">{t("kernel.random")}</small>}
      {grids.map((channelGrids, f) => channelGrids.map((grid, c) => (
        <div key={`${f}-${c}`} className="kernel-grid-wrap">
          {grids.length * channels > 1 && <small className="hint">{t("kernel.which", { filter: f + 1, channel: c + 1 })}</small>}
          <div className="kernel-grid" style={{ gridTemplateColumns: `repeat(${w}, 3.2em)` }}>
            {grid.map((row, i) => row.map((value, j) => (
              <Cell key={`${i}-${j}`} value={value} label={t("kernel.cell", { filter: f + 1, channel: c + 1, row: i + 1, col: j + 1 })}
                onCommit={(v) => set(grids.map((cg, ff) => cg.map((g, cc) => (ff === f && cc === c
                  ? g.map((r, ii) => r.map((x, jj) => (ii === i && jj === j ? v : x))) : g))))} />
            )))}
          </div>
        </div>
      )))}
      <small className="hint">{t("kernel.hint")}</small>
      {error && <small className="error" role="alert">{error}</small>}
    </div>
  );
}
