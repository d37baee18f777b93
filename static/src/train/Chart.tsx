// A uPlot line chart over columnar data; new points are appended with setData, at most
// once per animation frame (the stream hook batches them).
import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

export interface Series {
  label: string;
  x: (number | null)[];
  y: (number | null)[];
  colour: string;
  points?: boolean;
}

interface Props {
  title: string;
  series: Series[];
  version: number;
  testId: string;
  xLabel?: string;
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

export function Chart({ title, series, version, testId, xLabel = "step" }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const labels = series.map((s) => s.label).join("|");
  useEffect(() => {
    const element = box.current!;
    plot.current = new uPlot({
      title, width: element.clientWidth || 400, height: 180,
      scales: { x: { time: false } },
      axes: [{ label: xLabel }, {}],
      series: [{ label: xLabel }, ...series.map((s) => ({
        label: s.label, stroke: s.colour, width: 1.5, spanGaps: true,
        points: { show: s.points ?? false, size: 5 },
      }))],
    }, align(series), element);
    const resize = new ResizeObserver(() => plot.current?.setSize({ width: element.clientWidth, height: 180 }));
    resize.observe(element);
    return () => { resize.disconnect(); plot.current?.destroy(); plot.current = null; };
  }, [title, labels, xLabel]); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => {
    plot.current?.setData(align(series));
  }, [version]); // eslint-disable-line react-hooks/exhaustive-deps
  const points = series.reduce((n, s) => n + s.y.filter((v) => v !== null).length, 0);
  return <div ref={box} className="chart" data-testid={testId} data-points={points} />;
}
