// A sweep's trials as a table: its number, the values it tried, its status, score and
// epoch; a click on a header sorts by that column, the best run carries a star.
import { useState } from "react";
import { useTranslation } from "react-i18next";
import type { TrialOut } from "../api/client";
import { metric } from "../format";
import { trialStatusLabel } from "./labels";
import { formatValue } from "./params";
import { trialColour } from "./trialColours";
import { useThemeColours } from "../theme";

type Column = "number" | "status" | "score" | "epoch" | `param:${string}`;

interface Props {
  trials: TrialOut[];
  paths: string[];
  metricName: string;
  bestRunId: string | null;
  lit: number | null;
  onHover: (trial: number | null) => void;
  onPick: (trial: number) => void;
  onOpen: (runId: string) => void;
}

function cell(trial: TrialOut, column: Column): unknown {
  return column.startsWith("param:") ? trial.params[column.slice(6)] : trial[column as "number" | "status" | "score" | "epoch"];
}

/** Numbers by value, other values by their text; missing ones last either way. */
function compare(a: unknown, b: unknown): number {
  const missing = (v: unknown) => v === null || v === undefined;
  if (missing(a) || missing(b)) return Number(missing(a)) - Number(missing(b));
  if (typeof a === "number" && typeof b === "number") return a - b;
  return formatValue(a).localeCompare(formatValue(b));
}

export function TrialsTable({ trials, paths, metricName, bestRunId, lit, onHover, onPick, onOpen }: Props) {
  const { t } = useTranslation("sweeps");
  const dark = useThemeColours().theme === "dark";
  const [sort, setSort] = useState<{ column: Column; ascending: boolean }>({ column: "number", ascending: true });
  const sorted = [...trials].sort((a, b) => {
    const order = compare(cell(a, sort.column), cell(b, sort.column));
    const missing = cell(a, sort.column) === null || cell(b, sort.column) === null;
    return missing || sort.ascending ? order : -order; // missing values stay last
  });
  const header = (column: Column, label: string) => (
    <th key={column} aria-sort={sort.column === column ? (sort.ascending ? "ascending" : "descending") : "none"}>
      <button type="button" className="sort" title={t("table.sortBy", { column: label })}
        onClick={() => setSort((s) => ({ column, ascending: s.column === column ? !s.ascending : true }))}>
        {label}{sort.column === column ? (sort.ascending ? " ▲" : " ▼") : ""}
      </button>
    </th>
  );
  return (
    <table className="trials-table" data-testid="trials-table" onMouseLeave={() => onHover(null)}>
      <thead>
        <tr>
          {header("number", t("table.trial"))}
          {paths.map((path) => header(`param:${path}`, path))}
          {header("status", t("table.status"))}
          {header("score", metricName)}
          {header("epoch", t("table.epoch"))}
          <th />
        </tr>
      </thead>
      <tbody>
        {sorted.map((trial) => {
          const best = trial.run_id === bestRunId;
          return (
            <tr key={trial.run_id} data-trial={trial.number} data-best={best || undefined} data-lit={trial.number === lit}
              className={trial.number === lit ? "lit" : ""} onMouseEnter={() => onHover(trial.number)}
              onClick={() => onPick(trial.number)}>
              <td><span className="trial-swatch" style={{ background: trialColour(trial.number, dark) }} aria-hidden="true" />
                {trial.number}{best && <span className="best-mark" title={t("table.best")}> ★</span>}</td>
              {paths.map((path) => <td key={path}>{formatValue(trial.params[path])}</td>)}
              <td><span className={`status-chip status-${trial.status}`} title={trial.error ?? undefined}
                data-testid="trial-status">{trial.pruned_at ? t("table.pruned", { epoch: trial.pruned_at })
                  : trialStatusLabel(trial.status)}</span></td>
              <td data-testid="trial-score" title={trial.score_epoch ? t("table.scoreEpoch", { epoch: trial.score_epoch }) : undefined}>
                {trial.score_epoch ? t("table.scoreAt", { score: metric(trial.score), epoch: trial.score_epoch }) : metric(trial.score)}</td>
              <td>{trial.epoch}</td>
              <td><button type="button" disabled={trial.status === "deleted"}
                onClick={(e) => { e.stopPropagation(); onOpen(trial.run_id); }}>{t("table.open")}</button></td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
