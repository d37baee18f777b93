// A GAN's newest sample grid while it trains: fetched again each time the stream says a
// grid was drawn, one request at a time (grids announced meanwhile fold into the next).
import { useEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { ApiError, api, type EncodedArray, type SamplesOut } from "../api/client";
import { SampleGrid, SampleScatter, arePoints } from "../inspect/SampleGrid";

interface Props {
  runId: string;
  drawn: number; // bumped when a new grid was drawn; 0: none yet
}

export function LiveSamples({ runId, drawn }: Props) {
  const { t } = useTranslation("train");
  const [data, setData] = useState<SamplesOut | null>(null);
  const [real, setReal] = useState<EncodedArray | null>(null); // 2-D points: the same real ones each time
  const [error, setError] = useState<string | null>(null);
  const fetching = useRef({ busy: false, again: false, live: true, wantReal: false, hasReal: false });
  useEffect(() => {
    const f = fetching.current;
    f.live = true;
    return () => { f.live = false; };
  }, []);
  useEffect(() => {
    const f = fetching.current;
    if (!drawn) return;
    if (f.busy) { f.again = true; return; }
    const next = () => {
      f.busy = true;
      const withReal = f.wantReal;
      api.samples(runId, null, withReal).then((d) => {
        if (!f.live) return;
        setData((old) => (old && old.step > d.step ? old : d));
        setError(null);
        if (withReal) { setReal(d.real ?? null); f.wantReal = false; f.hasReal = true; }
        else if (arePoints(d.samples) && !f.hasReal) { f.wantReal = true; f.again = true; } // for the backdrop
      }).catch((e: unknown) => {
        // 409: no grid is kept yet (the first is drawn at step 0); the next event retries
        if (f.live && !(e instanceof ApiError && e.status === 409)) setError(e instanceof ApiError ? e.detail : String(e));
      }).finally(() => {
        f.busy = false;
        if (f.again && f.live) { f.again = false; next(); }
      });
    };
    next();
  }, [runId, drawn]); // eslint-disable-line react-hooks/exhaustive-deps
  return (
    <figure className="live-samples" data-testid="live-samples" data-step={data?.step ?? ""}>
      <figcaption>{data ? t("samples.at", { step: data.step, epoch: data.epoch }) : t("samples.title")}</figcaption>
      {error && <p className="error" role="alert">{error}</p>}
      {!data && !error && <div className="samples-placeholder muted">{t("samples.waiting")}</div>}
      {data && (arePoints(data.samples)
        ? <SampleScatter samples={data.samples} real={real} testId="live-samples-scatter" />
        : <SampleGrid array={data.samples} size={26} testId="live-samples-grid" />)}
    </figure>
  );
}
