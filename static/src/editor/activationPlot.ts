// The geometry of an activation's chart (no DOM): f and f′ as SVG paths over the x range
// the server sampled, the y range that holds both, and round ticks on each axis.
import { createContext, useContext } from "react";
import type { ActivationCurve, ActivationCurves } from "../api/client";

/** The curves the server sampled, once loaded (null until then, or if it did not answer). */
export const ActivationCurvesContext = createContext<ActivationCurves | null>(null);

export function useActivationCurves(): ActivationCurves | null {
  return useContext(ActivationCurvesContext);
}

/** One activation's curve by name, if the server drew it. */
export function curveOf(curves: ActivationCurves | null, name: unknown): ActivationCurve | undefined {
  return typeof name === "string" ? curves?.activations.find((curve) => curve.name === name) : undefined;
}

export const SIZE = { width: 280, height: 150 };
export const MARGIN = { left: 34, right: 8, top: 8, bottom: 30 };

export interface Tick {
  value: number;
  at: number; // the position along its axis, in SVG units
}

export interface Plot {
  f: string; // the path of f
  df: string; // the path of f′
  xTicks: Tick[];
  yTicks: Tick[];
  x0: number; // where x = 0 is
  y0: number; // where y = 0 is
}

/** A round step that cuts `span` into about `parts` pieces: 1, 2, 2.5 or 5 times a power of ten. */
export function roundStep(span: number, parts = 5): number {
  const rough = span / parts;
  const power = 10 ** Math.floor(Math.log10(rough));
  return ([1, 2, 2.5, 5, 10].find((m) => m * power >= rough) ?? 10) * power;
}

function ticks(lo: number, hi: number, place: (v: number) => number): Tick[] {
  const step = roundStep(hi - lo);
  const out: Tick[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) {
    const value = Math.abs(v) < step * 1e-9 ? 0 : Number(v.toPrecision(6));
    out.push({ value, at: place(value) });
  }
  return out;
}

function path(xs: number[], ys: number[], px: (v: number) => number, py: (v: number) => number): string {
  return xs.map((x, i) => `${i ? "L" : "M"}${px(x).toFixed(1)},${py(ys[i]).toFixed(1)}`).join("");
}

/** The chart of f and f′ sampled at xs; the y range holds both curves, 0 and 1. */
export function plot(xs: number[], curve: ActivationCurve): Plot {
  const values = [...curve.f, ...curve.df, 0, 1];
  const [low, high] = [Math.min(...values), Math.max(...values)];
  const pad = (high - low) * 0.05;
  const [ylo, yhi] = [low - pad, high + pad];
  const [xlo, xhi] = [xs[0], xs[xs.length - 1]];
  const width = SIZE.width - MARGIN.left - MARGIN.right;
  const height = SIZE.height - MARGIN.top - MARGIN.bottom;
  const px = (v: number) => MARGIN.left + ((v - xlo) / (xhi - xlo)) * width;
  const py = (v: number) => MARGIN.top + (1 - (v - ylo) / (yhi - ylo)) * height;
  return {
    f: path(xs, curve.f, px, py), df: path(xs, curve.df, px, py),
    xTicks: ticks(xlo, xhi, px), yTicks: ticks(ylo, yhi, py), x0: px(0), y0: py(0),
  };
}
