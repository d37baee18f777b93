// Numbers people can read: 1.2M params, 3.4 GFLOPs, 97.8%, shapes as 32×14×14.
export function count(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return String(n);
}

export function flops(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)} GFLOPs`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MFLOPs`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} kFLOPs`;
  return `${n} FLOPs`;
}

export function shape(s: readonly number[]): string {
  return s.join("×");
}

export function percent(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}

export function metric(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return "–";
  return Math.abs(x) >= 100 ? x.toFixed(1) : x.toPrecision(4);
}

export function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "–";
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const m = Math.floor(seconds / 60);
  return `${m} min ${Math.round(seconds - 60 * m)} s`;
}
