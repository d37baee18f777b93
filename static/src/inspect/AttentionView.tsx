// Attention, as BertViz shows it, for any attention layer the user built: per layer,
// every head side by side with their average (a click picks one), the picked one as a
// matrix with its tokens on both axes (pointing at a cell gives query, key and weight)
// or as lines from each query token to the keys it attends to.
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { decodeArray, unwrap, type Schemas } from "../api/client";
import { inspectAttention } from "../api/gen";
import { metric } from "../format";
import { Heatmap } from "./Heatmap";
import { Legend } from "./Legend";
import { forRun } from "./inspectApi";
import { Status, useView } from "./useView";

type Attention = Schemas["AttentionOut"];
type LayerAttention = Schemas["LayerAttention"];
type Head = number | "mean";
type Mode = "matrix" | "lines";

/** The most queries or keys drawn with a token label beside each row and column. */
const MAX_LABELLED = 48;

/** A token as it is drawn: a space or a line break shows. */
function visible(token: string): string {
  return token.replace(/ /g, "␣").replace(/\n/g, "↵");
}

export function AttentionView({ runId, sample }: { runId: string; sample: number }) {
  const { t } = useTranslation("inspect");
  const { data, error, loading } = useView<Attention>(() => unwrap(inspectAttention({ ...forRun(runId), body: { sample } })), `attention:${sample}`);
  const [mode, setMode] = useState<Mode>("matrix");
  return (
    <div className="view" data-testid="attention-view">
      <Status error={error} loading={loading} />
      {data && (
        <div className="controls" role="radiogroup" aria-label={t("attention.mode")}>
          {(["matrix", "lines"] as const).map((m) => (
            <label key={m}><input type="radio" name="attention-mode" checked={mode === m} onChange={() => setMode(m)} /> {t(`attention.${m}`)}</label>
          ))}
        </div>
      )}
      {data?.layers.map((layer) => (
        <LayerView key={`${layer.id}:${layer.part}`} layer={layer} mode={mode} tokens={data.tokens ?? null} />
      ))}
    </div>
  );
}

/** Head h's weights, or the heads' average, as one (queries × keys) array. */
function weightsOf(values: ArrayLike<number>, heads: number, n: number, head: Head): ArrayLike<number> {
  if (head !== "mean") return Array.prototype.slice.call(values, head * n, (head + 1) * n) as number[];
  const mean = new Float32Array(n);
  for (let h = 0; h < heads; h++) for (let i = 0; i < n; i++) mean[i] += values[h * n + i] / heads;
  return mean;
}

function LayerView({ layer, mode, tokens }: { layer: LayerAttention; mode: Mode; tokens: string[] | null }) {
  const { t } = useTranslation("inspect");
  const { shape: dims, values } = decodeArray(layer.weights);
  const [heads, queries, keys] = dims; // what was sent (cut to 256 tokens at most)
  const n = queries * keys;
  const [head, setHead] = useState<Head>("mean");
  const shown = weightsOf(values, heads, n, head);
  const rowLabels = layer.query_tokens && layer.query_tokens.length === queries ? layer.query_tokens.map(visible) : null;
  const colLabels = layer.key_tokens && layer.key_tokens.length === keys ? layer.key_tokens.map(visible) : null;
  const labelled = rowLabels !== null && colLabels !== null && Math.max(queries, keys) <= MAX_LABELLED;
  const cross = layer.part === "cross";
  return (
    <figure className="attention-layer" data-testid={`attention-${layer.id}-${layer.part}`} data-part={layer.part}>
      <figcaption><strong>{layer.id}</strong> {t(cross ? "attention.cross" : "attention.self")}{" "}
        <span className="muted">{t(cross ? "attention.crossAxes" : "attention.axes")}</span></figcaption>
      <div className="heads" data-testid="heads">
        {(["mean", ...Array.from({ length: heads }, (_, h) => h)] as Head[]).map((h) => (
          <button key={String(h)} type="button" className={head === h ? "head chosen" : "head"} aria-pressed={head === h}
            onClick={() => setHead(h)} data-head={String(h)}>
            <Heatmap values={weightsOf(values, heads, n, h)} rows={queries} cols={keys} scale="viridis" low={0} high={1} size={72} />
            <span>{h === "mean" ? t("attention.average") : t("attention.headNumber", { head: h })}</span>
          </button>
        ))}
      </div>
      <div className="attention-main">
        {mode === "lines" && labelled ? <Lines weights={shown} queries={rowLabels} keys={colLabels} />
          : <Matrix weights={shown} queries={queries} keys={keys} rowLabels={rowLabels} colLabels={colLabels} labelled={labelled} />}
        <Legend scale="viridis" low={0} high={1} label={t("attention.weight")} />
      </div>
      {mode === "lines" && !labelled && <p className="muted">{t("attention.linesNeedTokens", { most: MAX_LABELLED })}</p>}
      {layer.cut && <small className="muted">{layer.cut}</small>}
      {!labelled && tokens && <div className="tokens" title={t("attention.sequence")}>{tokens.join("")}</div>}
    </figure>
  );
}

interface MatrixProps {
  weights: ArrayLike<number>;
  queries: number;
  keys: number;
  rowLabels: string[] | null;
  colLabels: string[] | null;
  labelled: boolean;
}

function Matrix({ weights, queries, keys, rowLabels, colLabels, labelled }: MatrixProps) {
  const { t } = useTranslation("inspect");
  const [cell, setCell] = useState<{ row: number; col: number } | null>(null);
  const side = 280;
  const size = (side / Math.max(queries, keys));
  const map = <Heatmap values={weights} rows={queries} cols={keys} scale="viridis" low={0} high={1} size={side}
    onCell={setCell} outline={cell && { ...cell, rows: 1, cols: 1 }} />;
  const token = (labels: string[] | null, i: number) => (labels ? `“${labels[i]}” (${i})` : String(i));
  return (
    <div>
      {labelled ? (
        <div className="attention-grid" style={{ gridTemplateColumns: `auto ${Math.round(size * keys)}px` }}>
          <span />
          <div className="key-labels" data-testid="key-labels">
            {colLabels!.map((tk, k) => <span key={k} style={{ width: size }} className={cell?.col === k ? "hot" : ""} title={tk}>{tk}</span>)}
          </div>
          <div className="query-labels" data-testid="query-labels">
            {rowLabels!.map((tk, q) => <span key={q} style={{ height: size }} className={cell?.row === q ? "hot" : ""} title={tk}>{tk}</span>)}
          </div>
          {map}
        </div>
      ) : map}
      <div className="muted" data-testid="attention-cell" aria-live="polite">
        {cell ? t("attention.cell", {
          query: token(rowLabels, cell.row), key: token(colLabels, cell.col), weight: metric(weights[cell.row * keys + cell.col]),
        }) : t("attention.point")}
      </div>
    </div>
  );
}

/** BertViz's head view: query tokens on the left, key tokens on the right, a line from
 * each query to each key as strong as its weight; pointing at a query shows its lines only. */
function Lines({ weights, queries, keys }: { weights: ArrayLike<number>; queries: string[]; keys: string[] }) {
  const { t } = useTranslation("inspect");
  const [focus, setFocus] = useState<number | null>(null);
  const row = 18;
  const width = 320;
  const height = row * Math.max(queries.length, keys.length) + 8;
  const [left, right] = [90, width - 90];
  const y = (i: number) => 8 + row * i + row / 2;
  const lines = [];
  for (let q = 0; q < queries.length; q++) {
    if (focus !== null && q !== focus) continue;
    for (let k = 0; k < keys.length; k++) {
      const w = weights[q * keys.length + k];
      if (w < 0.02) continue;
      lines.push(<line key={`${q}:${k}`} x1={left} y1={y(q)} x2={right} y2={y(k)} stroke="var(--accent, #2563eb)"
        strokeOpacity={Math.min(1, w)} strokeWidth={1 + 3 * w} data-weight={w.toFixed(3)} />);
    }
  }
  return (
    <svg className="attention-lines" data-testid="attention-lines" width={width} height={height} role="img"
      aria-label={t("attention.linesLabel")} onPointerLeave={() => setFocus(null)}>
      {lines}
      {queries.map((tk, q) => (
        <text key={`q${q}`} x={left - 6} y={y(q)} textAnchor="end" dominantBaseline="middle" className={focus === q ? "hot" : ""}
          onPointerEnter={() => setFocus(q)} data-query={q}>{tk}</text>
      ))}
      {keys.map((tk, k) => (
        <text key={`k${k}`} x={right + 6} y={y(k)} dominantBaseline="middle">{tk}</text>
      ))}
    </svg>
  );
}
