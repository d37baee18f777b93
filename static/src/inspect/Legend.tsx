// A colour scale's key: the gradient with its ends (and its middle) in numbers.
import { diverging, viridis, type Scale } from "./colour";
import { metric } from "../format";

interface Props {
  scale: Scale;
  low: number;
  high: number;
  label?: string;
}

export function Legend({ scale, low, high, label }: Props) {
  const extent = Math.max(Math.abs(low), Math.abs(high)) || 1;
  const [from, to] = scale === "diverging" ? [-extent, extent] : [low, high];
  const stops = Array.from({ length: 11 }, (_, i) => {
    const rgb = scale === "diverging" ? diverging(-1 + i / 5) : viridis(i / 10);
    return `rgb(${rgb.map(Math.round).join(" ")}) ${i * 10}%`;
  });
  return (
    <figure className="legend" data-testid="legend" aria-label={label}>
      <span className="legend-bar" style={{ background: `linear-gradient(to right, ${stops.join(", ")})` }} />
      <span className="legend-ticks">
        <span>{metric(from)}</span>
        {scale === "diverging" && <span>0</span>}
        <span>{metric(to)}</span>
      </span>
      {label && <figcaption>{label}</figcaption>}
    </figure>
  );
}
