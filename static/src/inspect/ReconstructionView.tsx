// An autoencoder's reconstructions: the first samples of a split above what the network
// rebuilt from them, the per-sample error (mean squared) as a histogram, and the samples
// it rebuilds worst.
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { decodeArray, unwrap, type EncodedArray, type Schemas } from "../api/client";
import { inspectReconstructions } from "../api/gen";
import { metric } from "../format";
import { Heatmap } from "./Heatmap";
import { InputImage } from "./InputImage";
import { failure, forRun } from "./inspectApi";

type Reconstructions = Schemas["ReconstructionsOut"];
type Sample = Schemas["ReconstructedSample"];
const SPLITS = ["test", "val", "train"] as const;
type Split = (typeof SPLITS)[number];

const SHOWN = 16;
const WORST = 8;

/** A sample as a picture: an image input as itself, anything else as a heatmap. */
function Picture({ array, extent, label }: { array: EncodedArray; extent: number; label: string }) {
  const { shape: dims, values } = decodeArray(array);
  if (dims.length === 3 && (dims[0] === 1 || dims[0] === 3)) return <InputImage input={array} size={56} />;
  const [rows, cols] = dims.length >= 2 ? [dims[dims.length - 2], dims[dims.length - 1]] : [1, values.length];
  return <Heatmap values={values} rows={rows} cols={cols} scale="diverging" low={-extent} high={extent} size={56} title={label} />;
}

/** The input above its reconstruction, with the sample's index and error. */
function Pair({ sample }: { sample: Sample }) {
  const { t } = useTranslation("inspect");
  if (!sample.input || !sample.reconstruction) {
    return <figure><figcaption>#{sample.index} · {metric(sample.error)}</figcaption></figure>;
  }
  let extent = 1e-6;
  for (const array of [sample.input, sample.reconstruction]) {
    for (const v of decodeArray(array).values) if (Number.isFinite(v)) extent = Math.max(extent, Math.abs(v));
  }
  return (
    <figure data-testid="reconstruction-pair" title={t("reconstructions.pair", { index: sample.index })}>
      <Picture array={sample.input} extent={extent} label={t("reconstructions.input")} />
      <Picture array={sample.reconstruction} extent={extent} label={t("reconstructions.reconstruction")} />
      <figcaption>#{sample.index} · {metric(sample.error)}</figcaption>
    </figure>
  );
}

function ErrorHistogram({ histogram }: { histogram: Reconstructions["histogram"] }) {
  const { t } = useTranslation("inspect");
  const { counts, low, high } = histogram;
  const max = Math.max(1, ...counts);
  return (
    <figure style={{ margin: "10px 0 0", maxWidth: 360 }}>
      <figcaption>{t("reconstructions.histogram", { low: metric(low), high: metric(high) })}</figcaption>
      <svg className="bars" data-testid="error-histogram" viewBox={`0 0 ${counts.length} 20`} preserveAspectRatio="none"
        style={{ height: 60 }}>
        {counts.map((c, i) => (
          <rect key={i} x={i + 0.1} width={0.8} y={20 - (20 * c) / max} height={(20 * c) / max} fill="var(--accent)">
            <title>{t("reconstructions.bar", { samples: c })}</title>
          </rect>
        ))}
      </svg>
    </figure>
  );
}

export function ReconstructionView({ runId }: { runId: string }) {
  const { t } = useTranslation("inspect");
  const [split, setSplit] = useState<Split>("test");
  const [data, setData] = useState<Reconstructions | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    setData(null);
    setError(null);
    unwrap(inspectReconstructions({ ...forRun(runId), query: { split, samples: SHOWN, worst: WORST } }))
      .then((d) => live && setData(d)).catch((e: unknown) => live && setError(failure(e)));
    return () => { live = false; };
  }, [runId, split]);
  return (
    <div className="view" data-testid="reconstructions-view">
      <label>{t("reconstructions.split")}{" "}
        <select value={split} aria-label={t("reconstructions.split")} onChange={(e) => setSplit(e.target.value as Split)}>
          {SPLITS.map((s) => <option key={s} value={s}>{t(`reconstructions.splits.${s}`)}</option>)}
        </select>
      </label>
      {error && <p className="error" role="alert">{error}</p>}
      {!data && !error && <p className="muted">{t("loading")}</p>}
      {data && (
        <>
          <p data-testid="mean-error">
            {t("reconstructions.meanError", {
              error: metric(data.mean_error), samples: data.samples, split: t(`reconstructions.splits.${split}`),
            })}
            {data.cut && <small className="muted"> ({data.cut})</small>}</p>
          <p className="muted">{t("reconstructions.intro")}</p>
          <div className="mistakes" data-testid="reconstruction-grid">
            {data.shown.map((s) => <Pair key={s.index} sample={s} />)}
          </div>
          <ErrorHistogram histogram={data.histogram} />
          {data.worst.length > 0 && (
            <>
              <p className="muted">{t("reconstructions.worst")}</p>
              <div className="mistakes" data-testid="worst-reconstructions">
                {data.worst.map((s) => <Pair key={s.index} sample={s} />)}
              </div>
            </>
          )}
        </>
      )}
    </div>
  );
}
