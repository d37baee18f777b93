// A layer on the canvas, as Netron draws one: a box coloured by category with its
// type, id, key settings and parameter count; a red outline and the server's message
// when it is invalid, a dashed one when its output leads nowhere. Its ports sit left and
// right, or top and bottom in a layout that runs downwards.
import { Handle, Position, useUpdateNodeInternals, type Node, type NodeProps } from "@xyflow/react";
import { useContext, useEffect } from "react";
import { useTranslation } from "react-i18next";
import { count } from "../format";
import { colourOf, keySettings } from "./categories";
import { DisconnectedContext } from "./disconnected";

export type LayerNodeData = {
  type: string;
  category: string;
  params: Record<string, unknown>;
  paramCount?: number;
  outputShape?: string;
  error?: string;
  isInput?: boolean;
  inputLabel?: string;
  acceptsInput: boolean;
  vertical?: boolean; // the layout runs top to bottom
};

export type LayerFlowNode = Node<LayerNodeData, "layer">;

export function LayerNode({ id, data, selected }: NodeProps<LayerFlowNode>) {
  const { t } = useTranslation("editor");
  const colour = colourOf(data.category);
  const [into, out] = data.vertical ? [Position.Top, Position.Bottom] : [Position.Left, Position.Right];
  const moved = useUpdateNodeInternals();
  useEffect(() => moved(id), [id, data.vertical, moved]); // the edges follow the ports to their new sides
  const deadEnds = useContext(DisconnectedContext);
  const deadEnd = !data.isInput && deadEnds.has(id);
  return (
    <div className={`layer-node${selected ? " selected" : ""}${data.error ? " invalid" : ""}${deadEnd ? " disconnected" : ""}`}
      style={{ borderColor: data.error ? undefined : colour }} data-testid={`node-${id}`}>
      {data.acceptsInput && <Handle type="target" position={into} />}
      <div className="layer-node-head" style={{ background: colour }}>
        <span className="layer-type">{data.isInput ? t("node.input") : data.type}</span>
        {!data.isInput && <span className="layer-id">{id}</span>}
      </div>
      <div className="layer-node-body">
        <div className="layer-settings">{data.isInput ? data.inputLabel : keySettings(data.params) || " "}</div>
        <div className="layer-params">
          {data.outputShape && <span className="layer-shape" title={t("node.outputShape")}>→ {data.outputShape}</span>}
          {data.paramCount !== undefined && data.paramCount > 0 && <span>{t("node.params", { params: count(data.paramCount) })}</span>}
        </div>
        {deadEnd && <div className="layer-disconnected" title={t("node.disconnectedTitle")}>{t("node.disconnected")}</div>}
        {data.error && <div className="layer-error" role="alert">{data.error}</div>}
      </div>
      <Handle type="source" position={out} />
    </div>
  );
}
