// One training step laid bare: forward through each layer, the loss, then each
// parameter's gradient and the optimizer's update (POST /inspect/step).
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { decodeArray, unwrap, type Schemas } from "../api/client";
import { inspectStep } from "../api/gen";
import { metric, numbers, shape } from "../format";
import { Heatmap } from "./Heatmap";
import { failure, forRun } from "./inspectApi";

type Step = Schemas["StepOut"];
type TensorView = Schemas["TensorView"];
const LISTED = 12; // tensors this small are written out as numbers

/** A tensor: its numbers when few, a heatmap when many, else its summary only. */
function Tensor({ t, label }: { t: TensorView | null | undefined; label: string }) {
  if (!t) return <span className="muted">—</span>;
  const values = t.values ? decodeArray(t.values).values : null;
  const summary = `‖·‖ ${metric(t.norm)} · ${metric(t.min)} … ${metric(t.max)}`;
  if (values && values.length <= LISTED) {
    return <code aria-label={label} title={summary}>[{numbers(Array.from(values, (v) => metric(v)))}]</code>;
  }
  if (values) {
    const cols = t.shape.length ? t.shape[t.shape.length - 1] : 1;
    const rows = Math.max(1, Math.round(values.length / cols));
    const edge = Math.max(Math.abs(t.min), Math.abs(t.max)) || 1;
    return (
      <span className="tensor" aria-label={label}>
        <Heatmap values={values} rows={rows} cols={cols} scale="diverging" low={-edge} high={edge} size={64} title={summary} />
        <small className="muted">{summary}</small>
      </span>
    );
  }
  return <small className="muted" aria-label={label}>{summary}</small>;
}

export function StepView({ runId }: { runId: string }) {
  const { t } = useTranslation("inspect");
  const [sample, setSample] = useState(0);
  const [count, setCount] = useState(1);
  const [step, setStep] = useState<Step | null>(null);
  const [error, setError] = useState<string | null>(null);
  const run = () => {
    setError(null);
    unwrap(inspectStep({ ...forRun(runId), body: { sample, count } }))
      .then(setStep)
      .catch((e: unknown) => setError(failure(e)));
  };
  return (
    <div className="view step-view" data-testid="step-view">
      <div className="controls">
        <label>{t("step.trainingSample")} <input type="number" min={0} value={sample} aria-label={t("step.firstSample")}
          onChange={(e) => setSample(Math.max(0, Number(e.target.value) || 0))} /></label>
        <label>{t("step.batchOf")} <input type="number" min={1} max={16} value={count} aria-label={t("step.batchSize")}
          onChange={(e) => setCount(Math.min(16, Math.max(1, Number(e.target.value) || 1)))} /></label>
        <button type="button" onClick={run}>{t("step.take")}</button>
      </div>
      {error && <p className="error" role="alert">{error}</p>}
      {step && (
        <>
          <p>
            <strong>{t("step.loss", { loss: metric(step.loss) })}</strong> · {t("step.target")}{" "}
            <Tensor t={step.target} label={t("step.target")} /> · {t("step.output")}{" "}
            <Tensor t={step.output} label={t("step.output")} /> · {t("step.optimizer", { optimizer: step.optimizer, lr: metric(step.lr) })}
          </p>
          <p className="muted">{step.note}</p>
          <table className="step-table">
            <thead>
              <tr>
                <th>{t("step.columns.layer")}</th><th>{t("step.columns.forward")}</th><th>{t("step.columns.parameter")}</th>
                <th>{t("step.columns.value")}</th><th>{t("step.columns.gradient")}</th><th>{t("step.columns.update")}</th>
              </tr>
            </thead>
            <tbody>
              {step.layers.flatMap((layer) => {
                const rows = layer.params.length ? layer.params : [null];
                return rows.map((p, i) => (
                  <tr key={`${layer.layer}-${p?.name ?? i}`} data-layer={layer.layer}>
                    {i === 0 && (
                      <>
                        <th scope="row" rowSpan={rows.length}>{layer.layer}</th>
                        <td rowSpan={rows.length}>
                          {layer.inputs.map((input) => shape(input.shape.slice(1))).join(" + ")} → {shape(layer.output.shape.slice(1))}
                          <br /><Tensor t={layer.output} label={t("step.layerOutput", { layer: layer.layer })} />
                        </td>
                      </>
                    )}
                    <td>{p ? <>{p.name} {shape(p.before.shape)}</> : <span className="muted">{t("step.noParameters")}</span>}</td>
                    <td>{p && <Tensor t={p.before} label={t("step.parameter", { layer: layer.layer, parameter: p.name })} />}</td>
                    <td>{p && (p.grad ? <Tensor t={p.grad} label={t("step.gradient", { layer: layer.layer, parameter: p.name })} />
                      : <span className="muted">{t("step.frozen")}</span>)}</td>
                    <td>{p && <Tensor t={p.update} label={t("step.update", { layer: layer.layer, parameter: p.name })} />}</td>
                  </tr>
                ));
              })}
            </tbody>
          </table>
        </>
      )}
    </div>
  );
}
