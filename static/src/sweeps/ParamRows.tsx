// The swept parameters, one row each: a path (with suggestions from the network and the
// settings) and its values, comma-separated, or for a search a range.
import { useTranslation } from "react-i18next";
import { emptyRow, parseValues, type Method, type ParamRow } from "./params";

interface Props {
  rows: ParamRow[];
  method: Method;
  suggestions: string[];
  onChange: (rows: ParamRow[]) => void;
}

const LIST_ID = "sweep-paths";

export function ParamRows({ rows, method, suggestions, onChange }: Props) {
  const { t } = useTranslation("sweeps");
  const set = (i: number, change: Partial<ParamRow>) => onChange(rows.map((row, j) => (j === i ? { ...row, ...change } : row)));
  return (
    <fieldset className="param-rows">
      <legend>{t("params.title")}</legend>
      <datalist id={LIST_ID}>{suggestions.map((path) => <option key={path} value={path} />)}</datalist>
      {rows.map((row, i) => {
        const range = method !== "grid" && row.kind === "range";
        const n = i + 1;
        return (
          <div className="param-row" key={i} data-testid="param-row">
            <input className="param-path" list={LIST_ID} value={row.path} aria-label={t("params.path", { n })}
              placeholder={t("params.pathPlaceholder")} spellCheck={false} onChange={(e) => set(i, { path: e.target.value })} />
            {method !== "grid" && (
              <select value={row.kind} aria-label={t("params.kind", { n })}
                onChange={(e) => set(i, { kind: e.target.value as ParamRow["kind"] })}>
                <option value="list">{t("params.list")}</option>
                <option value="range">{t("params.range")}</option>
              </select>
            )}
            {range ? (
              <span className="param-range">
                <input type="number" step="any" value={row.low} aria-label={t("params.low", { n })}
                  placeholder={t("params.lowPlaceholder")} onChange={(e) => set(i, { low: e.target.value })} />
                <input type="number" step="any" value={row.high} aria-label={t("params.high", { n })}
                  placeholder={t("params.highPlaceholder")} onChange={(e) => set(i, { high: e.target.value })} />
                <label><input type="checkbox" checked={row.log} onChange={(e) => set(i, { log: e.target.checked })} />
                  {" "}{t("params.log")}</label>
                <label><input type="checkbox" checked={row.integer} onChange={(e) => set(i, { integer: e.target.checked })} />
                  {" "}{t("params.integer")}</label>
              </span>
            ) : (
              <span className="param-values">
                <input value={row.values} aria-label={t("params.values", { n })} placeholder={t("params.valuesPlaceholder")}
                  spellCheck={false} onChange={(e) => set(i, { values: e.target.value })} />
                <small className="muted" data-testid="param-count">{t("params.count", { count: parseValues(row.values).length })}</small>
              </span>
            )}
            <button type="button" aria-label={t("params.remove", { n })} title={t("params.remove", { n })}
              disabled={rows.length === 1} onClick={() => onChange(rows.filter((_, j) => j !== i))}>×</button>
          </div>
        );
      })}
      <button type="button" onClick={() => onChange([...rows, emptyRow()])}>{t("params.add")}</button>
      <small className="hint muted">{t("params.hint")}</small>
    </fieldset>
  );
}
