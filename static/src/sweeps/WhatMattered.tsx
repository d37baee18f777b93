// What mattered in a sweep: each parameter's share of the variation of the scores
// (Optuna's fANOVA, read from the server) as bars, and with repeats each configuration's
// mean score ± its spread over the seeds. Read again as trials end.
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, type SweepOut } from "../api/client";
import { metric, percent } from "../format";
import { formatValue } from "./params";

export function WhatMattered({ sweep }: { sweep: SweepOut }) {
  const { t } = useTranslation("sweeps");
  const [shares, setShares] = useState<Record<string, number> | null>(null);
  const scored = sweep.configs.filter((c) => c.mean !== null).length;
  useEffect(() => {
    let live = true;
    api.sweepImportances(sweep.id).then((found) => live && setShares(found.importances ?? null),
      () => live && setShares(null));
    return () => { live = false; };
  }, [sweep.id, scored]);
  const repeats = (sweep.sweep.repeats ?? 1) > 1;
  return (
    <div className="what-mattered" data-testid="importances">
      <h4>{t("importances.title")}</h4>
      {shares ? (
        <ul className="importance-bars">
          {Object.entries(shares).map(([path, share]) => (
            <li key={path} data-path={path}>
              <span className="importance-name" title={path}>{path.replace(/^layers\./, "")}</span>
              <span className="importance-bar" style={{ width: `${Math.max(2, share * 100)}%` }} aria-hidden="true" />
              <span className="importance-share">{percent(share)}</span>
            </li>
          ))}
        </ul>
      ) : <p className="muted">{t("importances.notYet")}</p>}
      {repeats && (
        <table className="config-table" data-testid="config-table">
          <caption>{t("importances.configs", { metric: sweep.metric })}</caption>
          <tbody>
            {sweep.configs.map((c) => (
              <tr key={c.config} className={c.config === sweep.best_config ? "best" : undefined}>
                <td>#{c.config + 1}</td>
                <td>{Object.entries(c.params).map(([path, value]) => `${path} ${formatValue(value)}`).join(", ")}</td>
                <td data-testid="config-mean">{c.mean === null ? "—" : t("importances.meanStd", { mean: metric(c.mean), std: metric(c.std) })}</td>
                <td className="muted">{t("importances.scored", { count: c.scored })}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
