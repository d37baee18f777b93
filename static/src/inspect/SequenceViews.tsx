// Sequence lessons: a regression's predictions beside the truth (a forecaster's test
// windows in order trace the series), a character model writing on from a prompt, and a
// translator decoding greedily.
import { useEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { decodeArray, unwrap, type Schemas } from "../api/client";
import { inspectGenerateStream, inspectPredictions, inspectTranslate } from "../api/gen";
import { fixed, metric, percent } from "../format";
import { Chart } from "../train/Chart";
import { failure, forRun } from "./inspectApi";
import { useThemeColours } from "../theme";

type Predictions = Schemas["PredictionsOut"];
type Translated = Schemas["TranslateOut"];

export function PredictionsView({ runId }: { runId: string }) {
  const { t } = useTranslation("inspect");
  const { muted } = useThemeColours(); // the truth's line, grey on either theme
  const [data, setData] = useState<Predictions | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    unwrap(inspectPredictions({ ...forRun(runId), query: { split: "test", samples: 300 } }))
      .then((d) => live && setData(d)).catch((e: unknown) => live && setError(failure(e)));
    return () => { live = false; };
  }, [runId]);
  if (error) return <p className="error" role="alert">{error}</p>;
  if (!data) return <p className="muted">{t("loading")}</p>;
  const truth = decodeArray(data.truth);
  const guess = decodeArray(data.prediction);
  const width = truth.shape[1] ?? 1; // the first output of each sample
  const column = (values: ArrayLike<number>) => Array.from({ length: truth.shape[0] }, (_, i) => values[i * width]);
  const x = Array.from({ length: truth.shape[0] }, (_, i) => i);
  return (
    <div className="view" data-testid="predictions-view">
      <p>{t("predictions.summary", { mae: metric(data.mae), rmse: metric(data.rmse) })}</p>
      <Chart title={t("predictions.chart")} testId="predictions-chart" version={1} xLabel={t("predictions.sample")} series={[
        { label: t("predictions.truth"), x, y: column(truth.values), colour: muted },
        { label: t("predictions.prediction"), x, y: column(guess.values), colour: "#ea580c" },
      ]} />
    </div>
  );
}

/** The characters of an NDJSON stream of {"text"} lines, each as soon as its line arrives. */
async function* characters(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let pending = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    pending += decoder.decode(value, { stream: true });
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) {
      if (!line) continue;
      const message = JSON.parse(line) as { text?: string; done?: boolean };
      if (message.text) yield message.text;
    }
  }
}

export function GenerateView({ runId }: { runId: string }) {
  const { t } = useTranslation("inspect");
  const [prompt, setPrompt] = useState("to be, or not to be");
  const [temperature, setTemperature] = useState(0.8);
  const [length, setLength] = useState(200);
  const [seed, setSeed] = useState(0);
  const [text, setText] = useState<{ prompt: string; text: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const writing = useRef<AbortController | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => () => writing.current?.abort(), []); // leaving the view stops the writing
  const write = async () => {
    const controller = new AbortController();
    writing.current = controller;
    setBusy(true);
    setError(null);
    setText({ prompt, text: "" });
    try {
      const body = await unwrap(inspectGenerateStream({
        ...forRun(runId), body: { prompt, temperature, length, seed }, parseAs: "stream", signal: controller.signal,
      })) as unknown as ReadableStream<Uint8Array>; // parseAs "stream": the body itself
      let written = "";
      for await (const piece of characters(body)) {
        written += piece;
        setText({ prompt, text: written });
      }
    } catch (e) {
      if (!controller.signal.aborted) setError(failure(e));
    } finally {
      if (writing.current === controller) writing.current = null;
      setBusy(false);
    }
  };
  return (
    <div className="view generate-view" data-testid="generate-view">
      <label className="field">{t("generate.prompt")}
        <textarea value={prompt} rows={2} maxLength={2000} aria-label={t("generate.prompt")} onChange={(e) => setPrompt(e.target.value)} />
      </label>
      <div className="controls">
        <label title={t("generate.temperatureTitle")}>
          {t("generate.temperatureValue", { value: fixed(temperature, 2) })}{" "}
          <input type="range" min={0} max={2} step={0.05} value={temperature} aria-label={t("generate.temperature")}
            onChange={(e) => setTemperature(Number(e.target.value))} />
        </label>
        <label>{t("generate.length")} <input type="number" min={1} max={500} value={length} aria-label={t("generate.length")}
          onChange={(e) => setLength(Math.min(500, Math.max(1, Number(e.target.value) || 1)))} /></label>
        <label>{t("generate.seed")} <input type="number" min={0} value={seed} aria-label={t("generate.seed")}
          onChange={(e) => setSeed(Math.max(0, Number(e.target.value) || 0))} /></label>
        {busy ? <button type="button" onClick={() => writing.current?.abort()}>{t("generate.stop")}</button>
          : <button type="button" onClick={() => void write()}>{t("generate.generate")}</button>}
      </div>
      {error && <p className="error" role="alert">{error}</p>}
      {text && (
        <pre className="generated" data-testid="generated" aria-busy={busy}>
          <span className="muted">{text.prompt}</span>{text.text}{busy && <span className="caret">▍</span>}
        </pre>
      )}
    </div>
  );
}

export function TranslateView({ runId }: { runId: string }) {
  const { t } = useTranslation("inspect");
  const [source, setSource] = useState("three hundred and twelve");
  const [data, setData] = useState<Translated | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const translate = (text: string | null) => {
    setBusy(true);
    setError(null);
    unwrap(inspectTranslate({ ...forRun(runId), body: { source: text, examples: 8 } }))
      .then(setData).catch((e: unknown) => setError(failure(e))).finally(() => setBusy(false));
  };
  useEffect(() => translate(null), [runId]); // the test split's translations on opening
  return (
    <div className="view translate-view" data-testid="translate-view">
      <div className="controls">
        <label>{t("translate.source")}{" "}
          <input type="text" value={source} maxLength={2000} size={40} aria-label={t("translate.source")}
            onChange={(e) => setSource(e.target.value)} onKeyDown={(e) => e.key === "Enter" && translate(source)} />
        </label>
        <button type="button" onClick={() => translate(source)} disabled={busy}>{busy ? t("translate.translating") : t("translate.translate")}</button>
      </div>
      {error && <p className="error" role="alert">{error}</p>}
      {data?.translation != null && (
        <p data-testid="translation">{t("translate.result", { source: data.source ?? "" })} <strong>{data.translation}</strong></p>
      )}
      {data && (
        <>
          <p data-testid="translate-test">{t("translate.test", {
            exact: percent(data.test_exact), tokens: percent(data.test_token_accuracy), samples: data.test_samples,
          })}</p>
          <table className="examples">
            <thead><tr><th>{t("translate.sourceColumn")}</th><th>{t("translate.target")}</th><th>{t("translate.output")}</th></tr></thead>
            <tbody>
              {data.examples.map((example, i) => (
                <tr key={i} className={example.right ? "" : "wrong"}>
                  <td>{example.source}</td><td>{example.target}</td><td>{example.output}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </div>
  );
}
