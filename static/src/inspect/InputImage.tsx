// An input sample as a picture ((1 or 3, H, W) in [0, 1]), optionally with an
// attribution drawn over it (blue negative, orange positive, opaque where strong).
import { useEffect, useRef } from "react";
import { decodeArray, type EncodedArray } from "../api/client";
import { diverging } from "./colour";

interface Props {
  input: EncodedArray;
  overlay?: EncodedArray;
  size?: number;
}

export function InputImage({ input, overlay, size = 56 }: Props) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const { shape: dims, values } = decodeArray(input);
  const image = dims.length === 3 && (dims[0] === 1 || dims[0] === 3);
  useEffect(() => {
    if (!image) return;
    const [channels, height, width] = dims;
    const plane = height * width;
    const attribution = overlay ? decodeArray(overlay).values : null;
    let extent = 1e-12;
    if (attribution) for (const a of attribution) extent = Math.max(extent, Math.abs(a));
    const c = canvas.current!;
    c.width = width;
    c.height = height;
    const context = c.getContext("2d")!;
    const pixels = context.createImageData(width, height);
    for (let p = 0; p < plane; p++) {
      let rgb = [0, 1, 2].map((k) => 255 * Math.min(1, Math.max(0, values[(channels === 3 ? k : 0) * plane + p])));
      if (attribution) {
        let a = 0;
        for (let k = 0; k < channels; k++) a += attribution[k * plane + p];
        const strength = Math.min(1, Math.abs(a) / extent);
        const colour = diverging(a / extent);
        rgb = rgb.map((v, k) => v * 0.35 * (1 - strength) + colour[k] * strength);
      }
      pixels.data.set([rgb[0], rgb[1], rgb[2], 255], 4 * p);
    }
    context.putImageData(pixels, 0, 0);
  }, [input, overlay]); // eslint-disable-line react-hooks/exhaustive-deps
  if (!image) return <code className="input-values">{Array.from(values.slice(0, 8), (v) => v.toFixed(2)).join(", ")}</code>;
  return <canvas ref={canvas} className="input-image" style={{ width: size, height: size }} />;
}
