// The confusion matrix of the split it names, with per-class recall; a click on a cell
// lists the samples in it (thumbnails with the confidence of the prediction), as
// Teachable Machine's users ask for; and the most confident mistakes.
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { unwrap, type Schemas } from "../api/client";
import { inspectConfusion, inspectConfusionCell } from "../api/gen";
import { count as countOf, percent } from "../format";
import { InputImage } from "./InputImage";
import { forRun } from "./inspectApi";
import { Status, useView } from "./useView";

type Confusion = Schemas["ConfusionOut"];
type Cell = Schemas["CellOut"];

const CELL_PAGE = 24;

export function ConfusionView({ runId }: { runId: string }) {
  const { t } = useTranslation("inspect");
  const { data, error, loading } = useView<Confusion>(() => unwrap(inspectConfusion(forRun(runId))), "confusion");
  const [cell, setCell] = useState<{ label: number; predicted: number } | null>(null);
  const max = data ? Math.max(1, ...data.matrix.flat()) : 1;
  const names = (i: number) => data?.class_names?.[i] ?? String(i);
  return (
    <div className="view" data-testid="confusion-view">
      <Status error={error} loading={loading} />
      {data && (
        <>
          <p data-testid="confusion-summary">{t("confusion.summary", {
            accuracy: percent(data.accuracy), samples: countOf(data.samples), split: t(`confusion.splits.${data.split}`),
          })}</p>
          <div className="confusion-body">
            <table className="confusion">
              <tbody>
                <tr><th /><th colSpan={data.matrix.length} className="axis">{t("confusion.predicted")}</th><th /></tr>
                <tr><th className="axis">{t("confusion.truth")}</th>{data.matrix.map((_, j) => <th key={j}>{names(j)}</th>)}<th>{t("confusion.recall")}</th></tr>
                {data.matrix.map((row, i) => (
                  <tr key={i}>
                    <th>{names(i)}</th>
                    {row.map((v, j) => {
                      const chosen = cell?.label === i && cell.predicted === j;
                      return (
                        <td key={j} className={chosen ? "chosen" : ""} style={{ background: `rgb(${255 - (200 * v) / max}, ${255 - (130 * v) / max}, 255)` }}>
                          <button type="button" disabled={v === 0} data-cell={`${i},${j}`}
                            aria-label={t("confusion.cellLabel", { n: v, truth: names(i), predicted: names(j) })}
                            onClick={() => setCell(chosen ? null : { label: i, predicted: j })}>{v}</button>
                        </td>
                      );
                    })}
                    <td>{data.per_class_accuracy[i] === null ? "–" : percent(data.per_class_accuracy[i]!)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            {cell && <CellSamples runId={runId} split={data.split} cell={cell} names={names} />}
          </div>
          {!cell && data.wrong.length > 0 && (
            <>
              <p className="muted">{t("confusion.mistakes")}</p>
              <div className="mistakes" data-testid="mistakes">
                {data.wrong.slice(0, 12).map((w) => (
                  <figure key={w.index}>
                    {w.input && <InputImage input={w.input} />}
                    <figcaption>{names(w.label)} → {names(w.predicted)} {percent(w.confidence)}</figcaption>
                  </figure>
                ))}
              </div>
            </>
          )}
        </>
      )}
    </div>
  );
}

interface CellProps {
  runId: string;
  split: Confusion["split"];
  cell: { label: number; predicted: number };
  names: (i: number) => string;
}

function CellSamples({ runId, split, cell, names }: CellProps) {
  const { t } = useTranslation("inspect");
  const [offset, setOffset] = useState(0);
  const { data, error, loading } = useView<Cell>(
    () => unwrap(inspectConfusionCell({ ...forRun(runId), query: { split, ...cell, limit: CELL_PAGE, offset } })),
    `confusion/cell:${split}:${cell.label}:${cell.predicted}:${offset}`);
  return (
    <section className="cell-samples" data-testid="cell-samples">
      <h4>{t(cell.label === cell.predicted ? "confusion.cellRight" : "confusion.cellWrong",
        { truth: names(cell.label), predicted: names(cell.predicted), n: data?.count ?? 0 })}</h4>
      <Status error={error} loading={loading} />
      {data && (
        <>
          <div className="mistakes">
            {data.samples.map((s) => (
              <figure key={s.index} data-index={s.index}>
                {s.input && <InputImage input={s.input} />}
                <figcaption>#{s.index} · {percent(s.confidence)}</figcaption>
              </figure>
            ))}
          </div>
          {data.count > CELL_PAGE && (
            <div className="pager">
              <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - CELL_PAGE))}
                aria-label={t("activations.previous")}>‹</button>
              <span>{t("confusion.shown", { first: offset + 1, last: Math.min(data.count, offset + CELL_PAGE), n: data.count })}</span>
              <button type="button" disabled={offset + CELL_PAGE >= data.count} onClick={() => setOffset(offset + CELL_PAGE)}
                aria-label={t("activations.next")}>›</button>
            </div>
          )}
        </>
      )}
    </section>
  );
}
