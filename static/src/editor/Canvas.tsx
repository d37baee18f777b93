// The graph editor: React Flow over the document. Layers come from the palette by drag
// and drop; ports connect them into any DAG; shapes ride on the edges, which follow the
// routes the auto-layout found around the nodes. The minimap, when shown, has its own
// column beside the graph, so it never hides a node.
import {
  Background,
  Controls,
  MiniMap,
  Panel,
  ReactFlow,
  useReactFlow,
  type Connection,
  type NodeChange,
  type NodeDimensionChange,
  type EdgeChange,
  type OnBeforeDelete,
} from "@xyflow/react";
import { useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { useTranslation } from "react-i18next";
import type { LayerInfo, ValidateOut } from "../api/client";
import { shape } from "../format";
import { colourOf } from "./categories";
import { entry } from "./labels";
import { LayerNode, type LayerFlowNode } from "./LayerNode";
import { removeParts } from "./edits";
import { FIT_MAX_ZOOM, FIT_MIN_ZOOM, fitViewport } from "./fitView";
import { NETWORK_INPUT, edgeKey, type Doc, type EdgeDoc, type Point } from "./model";
import { DRAG_TYPE } from "./Palette";
import { RoutedEdge, type RoutedFlowEdge } from "./RoutedEdge";
import { spokenInput, spokenLayer } from "./spoken";
import { useKeepCentre } from "./useKeepCentre";
import type { Direction } from "./viewPrefs";

const nodeTypes = { layer: LayerNode };
const edgeTypes = { routed: RoutedEdge };

/** The routes of the last layout that still hold: same direction, nodes where it put them. */
function holdingRoutes(doc: Doc, direction: Direction): Map<string, Point[]> {
  const routes = doc.routes;
  const held = new Map<string, Point[]>();
  if (!routes || routes.direction !== direction) return held;
  const now = new Map<string, Point>([[NETWORK_INPUT, doc.inputAt], ...doc.layers.map((l) => [l.id, l] as const)]);
  const still = (id: string) => {
    const [a, b] = [routes.at[id], now.get(id)];
    return !!a && !!b && a.x === b.x && a.y === b.y;
  };
  for (const e of doc.edges) {
    const route = routes.edges[edgeKey(e)];
    if (route && still(e.source) && still(e.target)) held.set(edgeKey(e), route);
  }
  return held;
}

interface Props {
  doc: Doc;
  catalog: LayerInfo[];
  summary: ValidateOut | null;
  layerErrors: Map<string, string>;
  selected: string | null;
  fitKey: number;
  colorMode: "light" | "dark";
  direction: Direction;
  minimap: boolean;
  onSelect: (id: string | null) => void;
  onChange: (next: Doc | ((doc: Doc) => Doc), undoable: boolean) => void;
  /** A palette entry dropped at `at`, onto the edge `onto` if it landed on one. */
  onDropLayer: (type: string, at: { x: number; y: number }, onto: EdgeDoc | null) => void;
  tools?: ReactNode; // shown over the top-left corner
}

export function Canvas({ doc, catalog, summary, layerErrors, selected, fitKey, colorMode, direction, minimap, onSelect,
  onChange, onDropLayer, tools }: Props) {
  const { t } = useTranslation("editor");
  const flow = useReactFlow();
  const pane = useRef<HTMLDivElement>(null);
  useKeepCentre(pane);
  const [selectedEdges, setSelectedEdges] = useState<Set<string>>(new Set());
  // each node's size as React Flow measured it: the minimap draws only nodes that have one
  const [sizes, setSizes] = useState<Map<string, { width: number; height: number }>>(new Map());
  // the whole network in view when it opens and after each load or layout
  const shown = useRef({ doc, direction });
  shown.current = { doc, direction };
  const [fits, setFits] = useState(0);
  useEffect(() => {
    const frame = requestAnimationFrame(() => {
      const element = pane.current;
      if (!element) return;
      const size = { width: element.clientWidth, height: element.clientHeight };
      void flow.setViewport(fitViewport(shown.current.doc, size, shown.current.direction));
      setFits((n) => n + 1);
    });
    return () => cancelAnimationFrame(frame);
  }, [fitKey, flow]);
  const info = useMemo(() => new Map(catalog.map((l) => [l.type, l])), [catalog]);
  const shapes = useMemo(() => {
    const out = new Map<string, number[]>();
    if (summary) {
      out.set(NETWORK_INPUT, summary.input_shape);
      for (const l of summary.layers) out.set(l.id, l.output_shape);
    }
    return out;
  }, [summary]);
  const params = useMemo(() => new Map(summary?.layers.map((l) => [l.id, l.params]) ?? []), [summary]);

  const inputLabel = doc.input.dtype === "token" ? t("canvas.tokens", { shape: shape(doc.input.shape) }) : shape(doc.input.shape);
  const nodes: LayerFlowNode[] = useMemo(() => [
    {
      id: NETWORK_INPUT, type: "layer", position: doc.inputAt, selected: selected === NETWORK_INPUT, deletable: false,
      measured: sizes.get(NETWORK_INPUT), ariaLabel: spokenInput(inputLabel),
      data: { type: "input", category: "input", params: {}, isInput: true, acceptsInput: false, inputLabel,
        vertical: direction === "DOWN" },
    },
    ...doc.layers.map((l) => {
      const outputShape = shapes.has(l.id) ? shape(shapes.get(l.id)!) : undefined;
      return {
        id: l.id, type: "layer" as const, position: { x: l.x, y: l.y }, selected: selected === l.id, measured: sizes.get(l.id),
        ariaLabel: spokenLayer({ id: l.id, type: l.type, params: l.params, outputShape, paramCount: params.get(l.id) }),
        data: {
          type: l.type, category: info.get(l.type)?.category ?? "core", params: l.params,
          paramCount: params.get(l.id), error: layerErrors.get(l.id), acceptsInput: true, outputShape,
          vertical: direction === "DOWN",
        },
      };
    }),
  ], [doc, selected, sizes, info, params, layerErrors, shapes, inputLabel, direction, t]); // t: the spoken labels' language

  // React Flow's own texts (keyboard help, the controls' tooltips) in the current language
  const ariaLabelConfig = useMemo(() => ({
    "node.a11yDescription.default": t("canvas.flow.node"),
    "node.a11yDescription.keyboardDisabled": t("canvas.flow.nodeKeyboardDisabled"),
    "node.a11yDescription.ariaLiveMessage": ({ direction, x, y }: { direction: string; x: number; y: number }) =>
      t("canvas.flow.moved", { direction: entry(t("canvas.directions", { returnObjects: true }), direction) ?? direction, x, y }),
    "edge.a11yDescription.default": t("canvas.flow.edge"),
    "controls.ariaLabel": t("canvas.flow.controls"),
    "controls.zoomIn.ariaLabel": t("canvas.flow.zoomIn"),
    "controls.zoomOut.ariaLabel": t("canvas.flow.zoomOut"),
    "controls.fitView.ariaLabel": t("canvas.flow.fitView"),
    "controls.interactive.ariaLabel": t("canvas.flow.interactive"),
    "minimap.ariaLabel": t("canvas.flow.minimap"),
    "handle.ariaLabel": t("canvas.flow.handle"),
  }), [t]);

  const routes = useMemo(() => holdingRoutes(doc, direction), [doc, direction]);
  const edges: RoutedFlowEdge[] = useMemo(() => doc.edges.map((e) => ({
    id: edgeKey(e), type: "routed" as const, source: e.source, target: e.target,
    selected: selectedEdges.has(edgeKey(e)), data: { route: routes.get(edgeKey(e)) },
    label: shapes.has(e.source) ? shape(shapes.get(e.source)!) : undefined,
    labelBgPadding: [4, 2] as [number, number],
  })), [doc.edges, shapes, selectedEdges, routes]);

  const onNodesChange = useCallback((changes: NodeChange<LayerFlowNode>[]) => {
    const measured = changes.filter((c): c is NodeDimensionChange => c.type === "dimensions" && !!c.dimensions);
    if (measured.length) {
      setSizes((current) => {
        const next = new Map(current);
        for (const change of measured) next.set(change.id, change.dimensions!);
        return next;
      });
    }
    // React Flow removes nothing itself (onBeforeDelete edits the document): moves and
    // selections are all it reports
    const moves = changes.filter((c) => c.type === "position" && !!c.position);
    if (moves.length) {
      const undoable = moves.some((c) => c.type === "position" && c.dragging === false);
      onChange((doc) => {
        let next = doc;
        for (const change of moves) {
          if (change.type !== "position" || !change.position) continue;
          const { x, y } = change.position;
          next = change.id === NETWORK_INPUT ? { ...next, inputAt: { x, y } }
            : { ...next, layers: next.layers.map((l) => (l.id === change.id ? { ...l, x, y } : l)) };
        }
        return next;
      }, undoable);
    }
    // the selection after the whole batch (React Flow lists changes in node order)
    let chosen = selected;
    for (const change of changes) {
      if (change.type !== "select") continue;
      if (change.selected) chosen = change.id;
      else if (change.id === chosen) chosen = null;
    }
    if (chosen !== selected) onSelect(chosen);
  }, [selected, onChange, onSelect]);

  const onEdgesChange = useCallback((changes: EdgeChange<RoutedFlowEdge>[]) => {
    const picks = changes.filter((c) => c.type === "select");
    if (picks.length) {
      setSelectedEdges((current) => {
        const next = new Set(current);
        for (const c of picks) if (c.type === "select") (c.selected ? next.add(c.id) : next.delete(c.id));
        return next;
      });
    }
  }, []);

  // a deletion (Delete or Backspace) is one edit, so one undo brings all of it back
  const onBeforeDelete: OnBeforeDelete<LayerFlowNode, RoutedFlowEdge> = useCallback(async ({ nodes, edges }) => {
    const layers = nodes.map((n) => n.id);
    const cut = edges.map((e) => e.id);
    if (layers.length || cut.length) onChange((doc) => removeParts(doc, layers, cut, shapes), true);
    if (selected && layers.includes(selected)) onSelect(null);
    setSelectedEdges((current) => new Set([...current].filter((id) => !cut.includes(id))));
    return false; // the document changed already; React Flow removes nothing itself
  }, [shapes, selected, onChange, onSelect]);

  const onConnect = useCallback((c: Connection) => {
    if (!c.source || !c.target || c.source === c.target) return;
    if (doc.edges.some((e) => e.source === c.source && e.target === c.target)) return;
    const target = doc.layers.find((l) => l.id === c.target);
    const max = target ? info.get(target.type)?.max_inputs ?? 1 : 1;
    let edges = doc.edges;
    if (edges.filter((e) => e.target === c.target).length >= max) {
      edges = edges.filter((e) => e.target !== c.target); // a one-input layer: reconnect it
    }
    onChange({ ...doc, edges: [...edges, { source: c.source, target: c.target }] }, true);
  }, [doc, info, onChange]);

  return (
    <div className="canvas" data-testid="canvas" data-fits={fits}
      onDragOver={(e) => {
        if (e.dataTransfer.types.includes(DRAG_TYPE)) {
          e.preventDefault();
          e.dataTransfer.dropEffect = "copy";
        }
      }}
      onDrop={(e) => {
        const type = e.dataTransfer.getData(DRAG_TYPE);
        if (!type) return;
        e.preventDefault();
        const hit = document.elementsFromPoint(e.clientX, e.clientY)
          .map((el) => el.closest<HTMLElement>(".react-flow__edge")).find(Boolean);
        const onto = doc.edges.find((edge) => `${edge.source}->${edge.target}` === hit?.dataset.id) ?? null;
        onDropLayer(type, flow.screenToFlowPosition({ x: e.clientX, y: e.clientY }), onto);
      }}>
      <div className="canvas-pane" ref={pane}>
        <ReactFlow nodes={nodes} edges={edges} nodeTypes={nodeTypes} edgeTypes={edgeTypes}
          onNodesChange={onNodesChange} onEdgesChange={onEdgesChange} onConnect={onConnect}
          onBeforeDelete={onBeforeDelete}
          onPaneClick={() => onSelect(null)} deleteKeyCode={["Delete", "Backspace"]}
          minZoom={0.2} colorMode={colorMode} ariaLabelConfig={ariaLabelConfig}>
          {tools && <Panel position="top-left">{tools}</Panel>}
          <Background gap={16} />
          <Controls fitViewOptions={{ minZoom: FIT_MIN_ZOOM, maxZoom: FIT_MAX_ZOOM }} />
        </ReactFlow>
      </div>
      {minimap && (
        <div className={`react-flow canvas-minimap ${colorMode}`} data-testid="minimap">
          <MiniMap pannable zoomable ariaLabel={t("canvas.flow.minimap")}
            nodeColor={(n) => colourOf((n as LayerFlowNode).data.category)} />
        </div>
      )}
      {doc.layers.length === 0 && (
        <div className="canvas-empty">{t("canvas.empty")}</div>
      )}
    </div>
  );
}
