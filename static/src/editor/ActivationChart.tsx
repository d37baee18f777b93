// An activation function f and its derivative f′ as the server sampled them (the modules a
// network is built with, f′ by autograd): a small SVG chart with its axes, a legend and a
// caption that says how it was drawn.
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, type ActivationCurves } from "../api/client";
import { MARGIN, SIZE, curveOf, plot, useActivationCurves } from "./activationPlot";

interface Props {
  name: unknown; // the activation's name, as a layer's field holds it
  negativeSlope?: unknown; // leaky_relu's slope, where the layer sets one (else its default)
  howDrawn?: boolean; // say how an element-wise one was computed (charts side by side say it once)
}

/** The curves with leaky_relu at `slope`: the shared ones at the default, else asked for. */
function useCurvesAt(slope: unknown, leaky: boolean): ActivationCurves | null {
  const shared = useActivationCurves();
  const own = leaky && typeof slope === "number" && shared !== null && slope !== shared.negative_slope;
  const [asked, setAsked] = useState<ActivationCurves | null>(null);
  useEffect(() => {
    if (!own) return;
    let current = true;
    api.activations(slope as number).then((answer) => current && setAsked(answer), () => undefined);
    return () => { current = false; };
  }, [own, slope]);
  if (!own) return shared;
  return asked?.negative_slope === slope ? asked : null;
}

export function ActivationChart({ name, negativeSlope, howDrawn = true }: Props) {
  const { t } = useTranslation("editor");
  const curves = useCurvesAt(negativeSlope, name === "leaky_relu");
  const curve = curveOf(curves, name);
  if (!curves || !curve) return null;
  const drawn = plot(curves.x, curve);
  const bottom = SIZE.height - MARGIN.bottom;
  const right = SIZE.width - MARGIN.right;
  const caption = curve.form === "first_of_pair"
    ? t("activationChart.pair", { name: curve.name, equals: t(`activationChart.equals.${curve.name}` as "activationChart.equals.softmax") })
    : howDrawn ? t("activationChart.elementwise") : "";
  return (
    <figure className="activation-chart" data-testid="activation-chart" data-activation={curve.name}>
      <figcaption className="activation-title">{t("activationChart.title", { name: curve.name })}</figcaption>
      <svg viewBox={`0 0 ${SIZE.width} ${SIZE.height}`} role="img"
        aria-label={t("activationChart.label", { name: curve.name })}>
        <g className="activation-grid">
          {drawn.yTicks.map((tick) => <line key={tick.value} x1={MARGIN.left} x2={right} y1={tick.at} y2={tick.at} />)}
          {drawn.xTicks.map((tick) => <line key={tick.value} x1={tick.at} x2={tick.at} y1={MARGIN.top} y2={bottom} />)}
        </g>
        <g className="activation-axes">
          <line x1={MARGIN.left} x2={right} y1={drawn.y0} y2={drawn.y0} />
          <line x1={drawn.x0} x2={drawn.x0} y1={MARGIN.top} y2={bottom} />
        </g>
        {drawn.yTicks.map((tick) => (
          <text key={tick.value} className="activation-tick" x={MARGIN.left - 4} y={tick.at + 3} textAnchor="end">{tick.value}</text>
        ))}
        {drawn.xTicks.map((tick) => (
          <text key={tick.value} className="activation-tick" x={tick.at} y={bottom + 11} textAnchor="middle">{tick.value}</text>
        ))}
        <text className="activation-axis-label" x={(MARGIN.left + right) / 2} y={SIZE.height - 2} textAnchor="middle">
          {t("activationChart.xAxis")}</text>
        <text className="activation-axis-label" transform={`translate(9 ${(MARGIN.top + bottom) / 2}) rotate(-90)`}
          textAnchor="middle">{t("activationChart.yAxis")}</text>
        <path className="activation-df" data-testid="curve-df" d={drawn.df} />
        <path className="activation-f" data-testid="curve-f" d={drawn.f} />
      </svg>
      <ul className="activation-legend">
        <li><span className="swatch f" />{t("activationChart.f", { name: curve.name })}</li>
        <li><span className="swatch df" />{t("activationChart.df")}</li>
      </ul>
      {(caption || curve.name === "leaky_relu") && (
        <p className="activation-caption muted">
          {caption}
          {caption && " "}
          {curve.name === "leaky_relu" && t(typeof negativeSlope === "number" ? "activationChart.slopeSet" : "activationChart.slope",
            { slope: curves.negative_slope })}
        </p>
      )}
    </figure>
  );
}
