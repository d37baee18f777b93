// The worked example of attention, as a real layer computed it: one query, a few keys,
// each key's score q·k and its weight softmax(q·k / √d_k).
import { useTranslation } from "react-i18next";
import type { Schemas } from "../api/client";
import { fixed } from "../format";

export function WorkedAttention({ worked }: { worked: Schemas["WorkedAttention"] }) {
  const { t } = useTranslation("lessons");
  return (
    <figure className="worked" data-testid="worked-attention">
      <figcaption>{t("worked.caption", { layer: worked.layer, heads: worked.heads, dk: worked.d_k })}</figcaption>
      <table className="lesson-diff">
        <thead>
          <tr><th>{t("worked.key")}</th><th>{t("worked.score")}</th><th>{t("worked.scaled", { dk: worked.d_k })}</th><th>{t("worked.weight")}</th></tr>
        </thead>
        <tbody>
          {worked.scores.map((score, i) => (
            <tr key={i}>
              <td>k{i + 1}</td>
              <td>{fixed(score, 1)}</td>
              <td>{fixed(score / Math.sqrt(worked.d_k), 2)}</td>
              <td>{fixed(worked.weights[i], 3)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
