// An experiment's claims as the learner's run measured them: each metric (at the end, after
// an epoch, or its change between two) against its bound (a number, or another
// experiment's run), held or not; unknown until the run completes.
import { useTranslation } from "react-i18next";
import type { ExperimentResult } from "../api/client";
import { fixed, metric, numbers, shape } from "../format";
import i18n from "../i18n";

type Value = number | number[] | null;

function show(value: Value, list = false): string {
  if (value === null) return "?";
  if (!Array.isArray(value)) return metric(value);
  return list ? `[${numbers(value.map((v) => fixed(v, 3)))}]` : shape(value);
}

/** What a metric claim reads: the last epoch's value, an epoch's, or the change between two. */
function reading(claim: { metric?: string; epoch?: number | null; since?: number | null }): string {
  const metric = claim.metric ?? "";
  const to = claim.epoch ?? null;
  if (claim.since !== null && claim.since !== undefined) {
    return to === null ? i18n.t("lessons:changeSince", { metric, since: claim.since })
      : i18n.t("lessons:changeBetween", { metric, since: claim.since, epoch: to });
  }
  return to === null ? metric : i18n.t("lessons:atEpoch", { metric, epoch: to });
}

export function Claims({ result }: { result: ExperimentResult }) {
  const { t } = useTranslation("lessons");
  return (
    <div className="claims" data-testid="claims">
      <strong>{t("claims")}</strong>
      {result.as_given === false && <p className="muted">{t("notAsGiven")}</p>}
      <ul>
        {result.checks.map((check, i) => {
          const claim = check.claim as {
            metric?: string; op?: "above" | "below"; than?: string | null; layer?: string; weights?: number[];
            output?: number[][]; epoch?: number | null; since?: number | null;
          };
          const verdict = check.holds === null ? "unknown" : check.holds ? "holds" : "fails";
          // the worked examples (attention's weights, a convolution's map) list values, not a shape
          const weights = claim.weights !== undefined || claim.output !== undefined;
          const what = claim.output !== undefined ? "mapOf" : weights ? "weightsOf" : "shapeOf";
          const name = claim.metric === undefined ? t(what, { layer: claim.layer }) : reading(claim);
          const relation = claim.op === "above" ? ">" : claim.op === "below" ? "<" : weights ? "≈" : "=";
          return (
            <li key={i} className={`claim ${verdict}`} data-holds={verdict} title={t(`verdict.${verdict}`)}>
              <span className="mark">{verdict === "holds" ? "✓" : verdict === "fails" ? "✗" : "…"}</span>{" "}
              {name} {show(check.measured, weights)} {relation} {show(check.against, weights)}
              {claim.than && <span className="muted"> {t("than", { experiment: claim.than })}</span>}
            </li>
          );
        })}
      </ul>
    </div>
  );
}
