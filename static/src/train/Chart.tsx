// A uPlot line chart over columnar data; new points are appended with setData, at most
// once per animation frame (the stream hook batches them). With `onZoom`, dragging across
// the chart asks for those x values (the caller fetches them at full resolution) and a
// double click for all of them.
import { useEffect, useRef } from "react";
import { useTranslation } from "react-i18next";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { tick } from "../format";
import { useThemeColours } from "../theme";

export interface Series {
  label: string;
  x: (number | null)[];
  y: (number | null)[];
  colour: string;
  points?: boolean;
  dash?: number[]; // a dashed line (e.g. a band's edges), as canvas setLineDash takes it
  band?: { with: number; fill: string }; // fill between this series and series[with]
}

interface Props {
  title: string;
  series: Series[];
  version: number | string; // the data is set again when it changes
  testId: string;
  xLabel?: string; // the x axis's title; default: the training step
  log?: boolean; // a log-scale y axis
  smoothing?: number; // 0..0.99: exponential moving average of each series, as TensorBoard does
  marks?: number[]; // x values marked by a dashed vertical line (where a run was edited)
  focus?: number | null; // the series (an index into `series`) shown in full, the others faded
  onZoom?: (range: [number, number] | null) => void;
}

/** TensorBoard-style smoothing: an exponential moving average, debiased at the start. */
export function smooth(values: (number | null)[], weight: number): (number | null)[] {
  if (weight <= 0) return values;
  let last = 0;
  let n = 0;
  return values.map((v) => {
    if (v === null || !Number.isFinite(v)) return v;
    last = last * weight + (1 - weight) * v;
    n += 1;
    return last / (1 - weight ** n);
  });
}

/** uPlot wants one shared x column: merge the series' x values. */
function align(series: Series[]): uPlot.AlignedData {
  const xs = [...new Set(series.flatMap((s) => s.x.filter((v): v is number => v !== null)))].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const columns = series.map((s) => {
    const column: (number | null)[] = new Array(xs.length).fill(null);
    s.x.forEach((x, i) => { if (x !== null) column[index.get(x)!] = s.y[i] ?? null; });
    return column;
  });
  return [xs, ...columns] as uPlot.AlignedData;
}

export function Chart({ title, series, version, testId, xLabel: xTitle, log = false, smoothing = 0, marks = [],
  focus = null, onZoom }: Props) {
  const { t } = useTranslation("train");
  const xLabel = xTitle ?? t("charts.step");
  const { theme, ink, grid } = useThemeColours();
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const marked = useRef(marks);
  marked.current = marks;
  const zoomed = useRef(onZoom);
  zoomed.current = onZoom;
  const labels = series.map((s) => s.label).join("|");
  // per-step curves are smoothed; per-epoch points (validation) are shown as they are
  const shown = () => series.map((s) => (s.points ? s : { ...s, y: smooth(s.y, smoothing) }));
  useEffect(() => {
    const element = box.current!;
    const axis = { stroke: ink, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 },
      values: (_: uPlot, splits: number[]) => splits.map((v) => (v === null || v === undefined ? "" : tick(v))) };
    plot.current = new uPlot({
      title, width: element.clientWidth || 400, height: 180,
      scales: { x: { time: false }, y: log ? { distr: 3 } : {} },
      // one crosshair across the charts; a drag selects steps (the caller zooms), uPlot
      // does not rescale by itself
      cursor: { sync: { key: "layerlab-charts" }, drag: { x: !!zoomed.current, y: false, setScale: false } },
      axes: [{ label: xLabel, ...axis }, axis],
      hooks: { draw: [(u: uPlot) => drawMarks(u, marked.current, ink)], setSelect: [(u: uPlot) => {
        if (u.select.width < 2 || !zoomed.current) return;
        const range: [number, number] = [u.posToVal(u.select.left, "x"), u.posToVal(u.select.left + u.select.width, "x")];
        u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
        zoomed.current(range);
      }] },
      series: [{ label: xLabel, value: legendValue }, ...series.map((s) => ({
        label: s.label, value: legendValue, stroke: s.colour, width: s.dash ? 1 : 1.5, spanGaps: true, dash: s.dash,
        points: { show: s.points ?? false, size: 5 },
      }))],
      bands: series.flatMap((s, i) => (s.band ? [{ series: [i + 1, s.band.with + 1] as [number, number], fill: s.band.fill }] : [])),
    }, align(shown()), element);
    const resize = new ResizeObserver(() => plot.current?.setSize({ width: element.clientWidth, height: 180 }));
    resize.observe(element);
    const unzoom = () => zoomed.current?.(null);
    element.addEventListener("dblclick", unzoom);
    return () => { element.removeEventListener("dblclick", unzoom); resize.disconnect(); plot.current?.destroy(); plot.current = null; };
  }, [title, labels, xLabel, log, theme]); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => { // after the chart is made: a new chart has every series in full
    plot.current?.setSeries(focus === null ? null : focus + 1, { focus: focus !== null });
  }, [focus, title, labels, xLabel, log, theme]);
  useEffect(() => {
    plot.current?.setData(align(shown()));
  }, [version, smoothing, marks.join()]); // eslint-disable-line react-hooks/exhaustive-deps
  const points = series.reduce((n, s) => n + s.y.filter((v) => v !== null).length, 0);
  return <div ref={box} className="chart" data-testid={testId} data-points={points} data-marks={marks.join(" ")} />;
}

/** A value in the legend under the cursor, as uPlot writes it, in the UI's language. */
function legendValue(_: uPlot, v: number | null): string {
  return v === null || v === undefined ? "--" : tick(v);
}

function drawMarks(u: uPlot, marks: number[], colour: string) {
  const { ctx, bbox } = u;
  ctx.save();
  ctx.strokeStyle = colour;
  ctx.setLineDash([4, 4]);
  for (const mark of marks) {
    const x = u.valToPos(mark, "x", true);
    if (x < bbox.left || x > bbox.left + bbox.width) continue;
    ctx.beginPath();
    ctx.moveTo(x, bbox.top);
    ctx.lineTo(x, bbox.top + bbox.height);
    ctx.stroke();
  }
  ctx.restore();
}
