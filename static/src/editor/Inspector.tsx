// The right panel: the selected layer's form (from its JSON schema) with the chart of its
// activation, if it has one, or the network input's shape.
import { useTranslation } from "react-i18next";
import type { LayerInfo, ValidateOut } from "../api/client";
import { count, flops, shape } from "../format";
import { ActivationChart } from "./ActivationChart";
import { KernelGrid } from "./KernelGrid";
import { layerDescription, layerFieldDescription, layerFormText } from "./labels";
import type { Doc, LayerDoc } from "./model";
import { SchemaForm, type JsonSchema } from "./SchemaForm";

interface Props {
  doc: Doc;
  selected: LayerDoc | "input" | null;
  catalog: LayerInfo[];
  summary: ValidateOut | null;
  fieldErrors: Record<string, string>;
  layerError?: string;
  onLayer: (layer: LayerDoc) => void;
  onRename: (from: string, to: string) => void;
  onInput: (input: Doc["input"]) => void;
}

export function Inspector({ doc, selected, catalog, summary, fieldErrors, layerError, onLayer, onRename, onInput }: Props) {
  const { t } = useTranslation("editor");
  if (selected === "input") {
    return (
      <div className="inspector-body">
        <h2>{t("inspector.networkInput")}</h2>
        <div className="field">
          <label htmlFor="input-shape">{t("inspector.shape")}</label>
          <input id="input-shape" defaultValue={doc.input.shape.join(", ")} key={doc.input.shape.join(",")}
            onBlur={(e) => {
              const dims = e.target.value.split(/[,×x\s]+/).filter(Boolean).map(Number);
              if (dims.length && dims.every((d) => Number.isInteger(d) && d > 0)) onInput({ ...doc.input, shape: dims });
            }} />
          <small className="hint">{t("inspector.shapeHint")}</small>
        </div>
        <div className="field">
          <label htmlFor="input-dtype">{t("inspector.values")}</label>
          <select id="input-dtype" value={doc.input.dtype ?? "float"}
            onChange={(e) => onInput({ ...doc.input, dtype: e.target.value as "float" | "token",
              vocab_size: e.target.value === "token" ? doc.input.vocab_size ?? 64 : null })}>
            <option value="float">{t("inspector.numbers")}</option>
            <option value="token">{t("inspector.tokenIds")}</option>
          </select>
        </div>
      </div>
    );
  }
  if (selected === null) return null;
  const info = catalog.find((l) => l.type === selected.type);
  const layer = summary?.layers.find((l) => l.id === selected.id);
  const idSchema = (info?.schema as JsonSchema | undefined)?.properties?.id;
  // a field left out has its default (an activation layer's is relu; a dense layer's none)
  const activation = selected.params.activation ?? (info?.schema as JsonSchema | undefined)?.properties?.activation?.default;
  const linear = selected.type === "dense" && activation == null; // an output layer's logits, or a note
  const feeds = doc.edges.filter((e) => e.source === selected.id).map((e) => doc.layers.find((l) => l.id === e.target)?.type);
  // a linear layer straight into another dense layer: the two are one linear map
  const note = !linear ? null : !feeds.length ? "inspector.outputLayer"
    : feeds.includes("dense") ? "inspector.linearHidden" : null;
  return (
    <div className="inspector-body">
      <h2>{selected.type}</h2>
      <p className="description">{info && layerDescription(info)}</p>
      <div className="field">
        <label htmlFor="layer-id" title={layerFieldDescription(selected.type, "id", idSchema?.description)}>
          {t("inspector.id")}</label>
        <input id="layer-id" defaultValue={selected.id} key={selected.id}
          onBlur={(e) => e.target.value !== selected.id && onRename(selected.id, e.target.value)} />
      </div>
      {layer && (
        <p className="layer-facts">
          {layer.input_shapes.map(shape).join(" + ")} → <strong>{shape(layer.output_shape)}</strong> ·{" "}
          {t("inspector.facts", { params: count(layer.params), flops: flops(layer.flops) })}
        </p>
      )}
      {layerError && <p className="error" role="alert">{layerError}</p>}
      {note && <p className="hint" data-testid="activation-note">{t(note)}</p>}
      {info && (
        <SchemaForm schema={info.schema as JsonSchema} value={selected.params} errors={fieldErrors}
          skip={["id", "type", "inputs"]} text={layerFormText(selected.type)}
          onChange={(params) => onLayer({ ...selected, params })} />
      )}
      {activation != null && <ActivationChart name={activation} negativeSlope={selected.params.negative_slope} />}
      {selected.type === "conv2d" && (
        <KernelGrid params={selected.params} error={fieldErrors.weights}
          channels={Math.max(1, Math.floor((layer?.input_shapes[0]?.[0] ?? 1) / Number(selected.params.groups ?? 1)))}
          onChange={(params) => onLayer({ ...selected, params })} />
      )}
    </div>
  );
}
