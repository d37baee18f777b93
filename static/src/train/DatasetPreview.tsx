// A few samples of the chosen dataset: images as small pictures, 2-D points as a
// scatter, token sequences as their tokens, other vectors and sequences as text.
import { useEffect, useRef } from "react";
import type { DatasetDetail } from "../api/client";

type Sample = { x: unknown; y: unknown };

function Picture({ x }: { x: number[][][] }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const c = canvas.current!;
    const [channels, height, width] = [x.length, x[0].length, x[0][0].length];
    c.width = width;
    c.height = height;
    const context = c.getContext("2d")!;
    const image = context.createImageData(width, height);
    for (let i = 0; i < height; i++) {
      for (let j = 0; j < width; j++) {
        const at = 4 * (i * width + j);
        for (let k = 0; k < 3; k++) image.data[at + k] = 255 * Math.min(1, Math.max(0, x[channels === 3 ? k : 0][i][j]));
        image.data[at + 3] = 255;
      }
    }
    context.putImageData(image, 0, 0);
  }, [x]);
  return <canvas ref={canvas} className="sample-image" />;
}

function Scatter({ samples }: { samples: Sample[] }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const context = canvas.current!.getContext("2d")!;
    context.clearRect(0, 0, 120, 120);
    for (const s of samples) {
      const [a, b] = s.x as number[];
      context.fillStyle = Number(s.y) ? "#ea580c" : "#2563eb";
      context.beginPath();
      context.arc(60 + 50 * a, 60 - 50 * b, 3, 0, 2 * Math.PI);
      context.fill();
    }
  }, [samples]);
  return <canvas ref={canvas} width={120} height={120} className="sample-scatter" />;
}

/** Token ids as their tokens: words apart, characters together, padding left out. */
function tokenText(ids: unknown, names: string[]): string | null {
  if (!Array.isArray(ids) || !ids.every((i) => typeof i === "number")) return null;
  const tokens = (ids as number[]).map((i) => names[i] ?? `<${i}>`).filter((token) => token !== "<pad>");
  const text = tokens.join(tokens.some((token) => token.length > 1 && !token.startsWith("<")) ? " " : "");
  return text.length > 48 ? `${text.slice(0, 47)}…` : text;
}

export function DatasetPreview({ dataset }: { dataset: DatasetDetail }) {
  const samples = dataset.preview as Sample[];
  const names = dataset.dtype === "token" ? dataset.class_names : null;
  const label = (y: unknown) => {
    const names = dataset.class_names;
    if (Array.isArray(y) && names && dataset.dtype === "token") return tokenText(y, names) ?? JSON.stringify(y).slice(0, 12);
    return typeof y === "number" && names ? names[y] ?? String(y) : JSON.stringify(y).slice(0, 12);
  };
  if (dataset.input_shape.length === 1 && dataset.input_shape[0] === 2) return <Scatter samples={samples} />;
  return (
    <div className="dataset-preview" data-testid="dataset-preview">
      {samples.map((s, i) => (
        <figure key={i}>
          {dataset.input_shape.length === 3 ? <Picture x={s.x as number[][][]} />
            : <code>{(names && tokenText(s.x, names)) ?? JSON.stringify(s.x).slice(0, 24)}</code>}
          <figcaption>{label(s.y)}</figcaption>
        </figure>
      ))}
    </div>
  );
}
