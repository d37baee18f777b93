// An input sample as a picture ((1 or 3, H, W) in [0, 1]), optionally with an
// attribution drawn over it (blue negative, orange positive, opaque where strong).
import { useEffect, useRef } from "react";
import { decodeArray, type EncodedArray } from "../api/client";
import { paintImage } from "./colour";
import { fixed, numbers } from "../format";

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
    if (image) paintImage(canvas.current!, values, 0, dims, overlay ? decodeArray(overlay).values : null);
  }, [input, overlay]); // eslint-disable-line react-hooks/exhaustive-deps
  if (!image) return <code className="input-values">{numbers(Array.from(values.slice(0, 8), (v) => fixed(v, 2)))}</code>;
  return <canvas ref={canvas} className="input-image" style={{ width: size, height: size }} />;
}
