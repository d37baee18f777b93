// An experiment's claims as the learner's run measured them: each metric against its bound
// (a number, or another experiment's run), held or not; unknown until the run completes.
import { useTranslation } from "react-i18next";
import type { ExperimentResult } from "../api/client";
import { metric, shape } from "../format";

type Value = number | number[] | null;

function show(value: Value): string {
  if (value === null) return "?";
  return Array.isArray(value) ? shape(value) : metric(value);
}

export function Claims({ result }: { result: ExperimentResult }) {
  const { t } = useTranslation("lessons");
  return (
    <div className="claims" data-testid="claims">
      <strong>{t("claims")}</strong>
      {result.as_given === false && <p className="muted">{t("notAsGiven")}</p>}
      <ul>
        {result.checks.map((check, i) => {
          const claim = check.claim as { metric?: string; op?: "above" | "below"; than?: string | null; layer?: string };
          const verdict = check.holds === null ? "unknown" : check.holds ? "holds" : "fails";
          const name = claim.metric ?? t("shapeOf", { layer: claim.layer });
          const relation = claim.op === "above" ? ">" : claim.op === "below" ? "<" : "=";
          return (
            <li key={i} className={`claim ${verdict}`} data-holds={verdict} title={t(`verdict.${verdict}`)}>
              <span className="mark">{verdict === "holds" ? "✓" : verdict === "fails" ? "✗" : "…"}</span>{" "}
              {name} {show(check.measured)} {relation} {show(check.against)}
              {claim.than && <span className="muted"> {t("than", { experiment: claim.than })}</span>}
            </li>
          );
        })}
      </ul>
    </div>
  );
}
