// One feature map opened: its own colour scale and legend and, for a convolution, what
// made it (CNN Explainer's link between a map and its filter): each input channel the
// filter reads beside the kernel slice over it, the bias, the sum before the
// activation. Pointing at an output value outlines the input patch it was computed from.
import { useEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { decodeArray, unwrap, type Schemas } from "../api/client";
import { inspectActivationsChannel } from "../api/gen";
import { metric } from "../format";
import type { Picked } from "./ActivationsView";
import { Heatmap, type Cells } from "./Heatmap";
import { Legend } from "./Legend";
import { forRun } from "./inspectApi";
import { Status, useView } from "./useView";

type Channel = Schemas["ChannelOut"];
type Convolution = Schemas["ConvolutionOut"];

interface Props {
  runId: string;
  sample: number;
  picked: Picked;
  onClose: () => void;
}

/** (rows, cols) of a plane: a 1-D map is one row. */
function plane(dims: number[]): [number, number] {
  return dims.length >= 2 ? [dims[dims.length - 2], dims[dims.length - 1]] : [1, dims[0] ?? 1];
}

function range(values: ArrayLike<number>): [number, number] {
  let low = Infinity;
  let high = -Infinity;
  for (let i = 0; i < values.length; i++) {
    if (Number.isFinite(values[i])) { low = Math.min(low, values[i]); high = Math.max(high, values[i]); }
  }
  return Number.isFinite(low) ? [low, high] : [0, 0];
}

export function ChannelDetail({ runId, sample, picked, onClose }: Props) {
  const { t } = useTranslation("inspect");
  const { data, error, loading } = useView<Channel>(
    () => unwrap(inspectActivationsChannel({ ...forRun(runId), body: { sample, layer: picked.layer, channel: picked.channel } })),
    `channel:${sample}:${picked.layer}:${picked.channel}`);
  const [cell, setCell] = useState<{ row: number; col: number } | null>(null);
  const box = useRef<HTMLElement>(null);
  useEffect(() => { // opened below the strip: brought into view
    box.current?.scrollIntoView({ block: "nearest" });
  }, [data]);
  const map = data ? decodeArray(data.map) : null;
  const [rows, cols] = map ? plane(map.shape) : [0, 0];
  return (
    <section ref={box} className="channel-detail" data-testid="channel-detail" aria-label={t("activations.detail", { layer: picked.layer, channel: picked.channel })}>
      <header>
        <strong>{t("activations.detail", { layer: picked.layer, channel: picked.channel })}</strong>
        {data && <span className="muted"> {t("activations.ofChannels", { channels: data.channels })}</span>}
        <button type="button" onClick={onClose} aria-label={t("activations.close")}>×</button>
      </header>
      <Status error={error} loading={loading} />
      {data && map && (
        <div className="channel-body">
          <figure>
            <figcaption>{t("activations.output")}</figcaption>
            <Heatmap values={map.values} rows={rows} cols={cols} scale="diverging" low={data.min} high={data.max}
              size={200} onCell={setCell} outline={cell && { ...cell, rows: 1, cols: 1 }} />
            <Legend scale="diverging" low={data.min} high={data.max} />
            <div className="muted" data-testid="cell-value">
              {cell ? t("activations.value", { row: cell.row, col: cell.col, value: metric(map.values[cell.row * cols + cell.col]) })
                : t("activations.point")}
            </div>
          </figure>
          {data.convolution && <Made convolution={data.convolution} cell={cell} rows={rows} cols={cols} />}
        </div>
      )}
    </section>
  );
}

interface MadeProps {
  convolution: Convolution;
  cell: { row: number; col: number } | null;
  rows: number; // of the output map
  cols: number;
}

/** The input patch output value `cell` was computed from, on every input channel. */
function patch(c: Convolution, kernelDims: number[], cell: { row: number; col: number } | null): Cells | null {
  if (!cell) return null;
  const [kh, kw] = plane(kernelDims);
  const two = c.stride.length === 2;
  const [sy, sx] = two ? c.stride : [1, c.stride[0]];
  const [py, px] = two ? c.padding : [0, c.padding[0]];
  const [dy, dx] = two ? c.dilation : [1, c.dilation[0]];
  return { row: cell.row * sy - py, col: cell.col * sx - px, rows: dy * (kh - 1) + 1, cols: dx * (kw - 1) + 1 };
}

function Made({ convolution: c, cell, rows, cols }: MadeProps) {
  const { t } = useTranslation("inspect");
  const inputs = decodeArray(c.inputs);
  const kernel = decodeArray(c.kernel);
  const [ih, iw] = plane(inputs.shape.slice(1));
  const kernelDims = kernel.shape.slice(1);
  const [kh, kw] = plane(kernelDims);
  const [inLow, inHigh] = range(inputs.values);
  const [kLow, kHigh] = range(kernel.values);
  const outline = patch(c, kernelDims, cell);
  const pre = c.pre_activation ? decodeArray(c.pre_activation) : null;
  const [preLow, preHigh] = pre ? range(pre.values) : [0, 0];
  return (
    <div className="made" data-testid="made-from">
      <p className="muted">
        {t("activations.madeFrom", { reads: c.reads, stride: c.stride.join("×"), padding: c.padding.join("×") })}
        {c.cut && <> ({c.cut})</>}
      </p>
      <div className="terms">
        {c.input_channels.map((channel, i) => (
          <figure key={channel} className="term" data-testid={`input-${channel}`}>
            <figcaption>{t("activations.inputChannel", { channel })}</figcaption>
            <Heatmap values={inputs.values} offset={i * ih * iw} rows={ih} cols={iw} scale="diverging"
              low={inLow} high={inHigh} size={96} outline={outline} />
            <span className="operator">⋆</span>
            <Heatmap values={kernel.values} offset={i * kh * kw} rows={kh} cols={kw} scale="diverging"
              low={kLow} high={kHigh} size={Math.min(64, 16 * Math.max(kh, kw))}
              title={t("activations.kernel", { channel })} />
            {kh * kw <= 25 && (
              <table className="kernel-values">
                <tbody>
                  {Array.from({ length: kh }, (_, r) => (
                    <tr key={r}>{Array.from({ length: kw }, (_, q) => <td key={q}>{metric(kernel.values[i * kh * kw + r * kw + q])}</td>)}</tr>
                  ))}
                </tbody>
              </table>
            )}
          </figure>
        ))}
      </div>
      <p data-testid="bias">{t("activations.bias", { bias: metric(c.bias) })}</p>
      {pre && (
        <figure>
          <figcaption>{t("activations.sum")}</figcaption>
          <Heatmap values={pre.values} rows={rows} cols={cols} scale="diverging" low={preLow} high={preHigh} size={120}
            outline={cell && { ...cell, rows: 1, cols: 1 }} />
          {cell && <div className="muted">{metric(pre.values[cell.row * cols + cell.col])}</div>}
        </figure>
      )}
      <Legend scale="diverging" low={kLow} high={kHigh} label={t("activations.kernelScale")} />
    </div>
  );
}
