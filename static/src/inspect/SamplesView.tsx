// A GAN's samples: what its generator made of one fixed noise batch, scrubbed step by
// step from noise to the end of training, with real training samples beside them.
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { unwrap, type SamplesOut } from "../api/client";
import { inspectSamples } from "../api/gen";
import { failure, forRun } from "./inspectApi";
import { SampleGrid, SampleScatter, arePoints } from "./SampleGrid";

export function SamplesView({ runId }: { runId: string }) {
  const { t } = useTranslation("inspect");
  const [step, setStep] = useState<number | null>(null); // null: the latest grid
  const [real, setReal] = useState(false);
  const [data, setData] = useState<SamplesOut | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  useEffect(() => {
    let live = true;
    setLoading(true);
    unwrap(inspectSamples({ ...forRun(runId), query: { step, real } }))
      .then((d) => { if (live) { setData(d); setError(null); } })
      .catch((e: unknown) => live && setError(failure(e)))
      .finally(() => live && setLoading(false));
    return () => { live = false; };
  }, [runId, step, real]);
  const steps = data?.steps ?? [];
  // while a grid loads, the slider already stands where it was moved to
  const wanted = steps.indexOf(step ?? data?.step ?? -1);
  const index = wanted >= 0 ? wanted : steps.length - 1;
  return (
    <div className="view samples-view" data-testid="samples-view">
      {data && (
        <div className="controls">
          <label>{t("samples.step")}{" "}
            <input type="range" min={0} max={Math.max(0, steps.length - 1)} value={index} aria-label={t("samples.step")}
              onChange={(e) => setStep(steps[Number(e.target.value)] ?? null)} />
          </label>
          <output data-testid="samples-step">{t("samples.stepEpoch", { step: data.step, epoch: data.epoch })}</output>
          <span className="muted">{t("samples.gridOf", { index: steps.indexOf(data.step) + 1, total: steps.length })}</span>
          <label><input type="checkbox" checked={real} onChange={(e) => setReal(e.target.checked)} /> {t("samples.showReal")}</label>
        </div>
      )}
      {error && <p className="error" role="alert">{error}</p>}
      {!data && !error && <p className="muted">{t("loading")}</p>}
      {data && (
        <div className={`latent-row${loading ? " stale" : ""}`}>
          {arePoints(data.samples) ? (
            <figure>
              <figcaption>{t(real ? "samples.generatedOverReal" : "samples.generated", { step: data.step })}</figcaption>
              <SampleScatter samples={data.samples} real={real ? data.real : null} size={260} testId="samples-scatter" />
            </figure>
          ) : (
            <>
              <figure>
                <figcaption>{t("samples.fromNoise", { step: data.step })}</figcaption>
                <SampleGrid array={data.samples} size={36} testId="generated-samples" />
              </figure>
              {real && data.real && (
                <figure>
                  <figcaption>{t("samples.real")}</figcaption>
                  <SampleGrid array={data.real} size={36} testId="real-samples" />
                </figure>
              )}
            </>
          )}
        </div>
      )}
      <p className="muted">{t("samples.explain")}</p>
    </div>
  );
}
