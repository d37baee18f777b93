// Parallel coordinates: one vertical axis per swept parameter and one for the score, one
// line per trial coloured by its score, dashed for a trial early stopping ended. Hovering
// (or focusing) a line lights its trial, clicking it keeps it lit.
import { useTranslation } from "react-i18next";
import type { TrialOut } from "../api/client";
import { metric } from "../format";
import { axisFor, type Axis } from "./axes";

const SPACING = 140;
const MARGIN = { left: 62, right: 56, top: 40, bottom: 14 };
const HEIGHT = 230;
const PLOT = HEIGHT - MARGIN.top - MARGIN.bottom;

interface Props {
  trials: TrialOut[];
  paths: string[];
  metricName: string;
  colours: (string | null)[]; // per trial, by score (null: no score yet)
  lit: number | null; // the trial lit (its number)
  onHover: (trial: number | null) => void;
  onPick: (trial: number) => void;
}

/** A label short enough to sit on an axis. */
function short(text: string, length = 14): string {
  return text.length > length ? `${text.slice(0, length - 1)}…` : text;
}

export function ParallelCoordinates({ trials, paths, metricName, colours, lit, onHover, onPick }: Props) {
  const { t } = useTranslation("sweeps");
  const columns: { name: string; axis: Axis; value: (trial: TrialOut) => unknown }[] = [
    ...paths.map((path) => ({ name: path, axis: axisFor(trials.map((tr) => tr.params[path])), value: (tr: TrialOut) => tr.params[path] })),
    { name: metricName, axis: axisFor(trials.map((tr) => tr.score)), value: (tr: TrialOut) => tr.score },
  ];
  const width = MARGIN.left + MARGIN.right + SPACING * (columns.length - 1);
  const x = (i: number) => MARGIN.left + SPACING * i;
  const y = (at: number) => MARGIN.top + (1 - at) * PLOT;
  const points = (trial: TrialOut) => columns.flatMap(({ axis, value }, i) => {
    const at = axis.place(value(trial));
    return at === null ? [] : [`${x(i)},${y(at).toFixed(1)}`];
  }).join(" ");
  const litAt = trials.findIndex((trial) => trial.number === lit);
  return (
    <svg className="parallel-coordinates" data-testid="parallel-coordinates" viewBox={`0 0 ${width} ${HEIGHT}`}
      width={width} height={HEIGHT} role="group" aria-label={t("plot.label")}>
      {trials.map((trial, i) => {
        const on = trial.number === lit;
        return (
          <g key={trial.run_id} className={on ? "pc-trial lit" : "pc-trial"} tabIndex={0}
            aria-label={t("plot.trial", { number: trial.number, score: metric(trial.score) })}
            onMouseEnter={() => onHover(trial.number)} onMouseLeave={() => onHover(null)}
            onFocus={() => onHover(trial.number)} onBlur={() => onHover(null)} onClick={() => onPick(trial.number)}
            onKeyDown={(e) => e.key === "Enter" && onPick(trial.number)}>
            <title>{t("plot.trial", { number: trial.number, score: metric(trial.score) })}</title>
            <polyline className={trial.pruned_at ? "pc-line pc-pruned" : "pc-line"} points={points(trial)}
              stroke={colours[i] ?? "var(--muted)"} data-trial={trial.number} data-lit={on}
              data-pruned={trial.pruned_at ? "true" : undefined} />
            <polyline className="pc-hit" points={points(trial)} />{/* a wider line to point at */}
          </g>
        );
      })}
      {litAt >= 0 && ( // drawn again over the others (moving its own element would lose a click under way)
        <polyline className="pc-line pc-lit" points={points(trials[litAt])} stroke={colours[litAt] ?? "var(--muted)"} />
      )}
      {/* the axes over the lines, their labels readable */}
      {columns.map(({ name, axis }, i) => (
        <g key={name} className="pc-axis" data-axis={name} data-scale={axis.kind}>
          <line x1={x(i)} x2={x(i)} y1={MARGIN.top} y2={MARGIN.top + PLOT} />
          {/* names alternate between two heights so long ones do not run into each other */}
          <text className="pc-name" x={x(i)} y={MARGIN.top - (i % 2 ? 8 : 22)} textAnchor="middle">
            {short(name.replace(/^layers\./, ""), 24)}<title>{name}</title></text>
          {axis.ticks.map((tick) => (
            <text key={tick.label} className="pc-tick" x={x(i) - 5} y={y(tick.at) + 3} textAnchor="end">{short(tick.label)}</text>
          ))}
        </g>
      ))}
    </svg>
  );
}
