// Numbers people can read: 1.2M params, 3.4 GFLOPs, 97.8%, shapes as 32×14×14, each
// written the way the UI's language writes numbers (Spanish: 97,8 %).
import i18n from "./i18n";

/** `x` with `options` in the UI's language, never grouped (1234.5, as toFixed writes it). */
function written(x: number, options: Intl.NumberFormatOptions): string {
  const value = Object.is(x, -0) ? 0 : x; // toFixed writes -0 as "0"
  return new Intl.NumberFormat(i18n.language, { useGrouping: false, ...options }).format(value);
}

/** `x` with `digits` decimals, as toFixed writes it, in the UI's language. */
export function fixed(x: number, digits: number): string {
  if (!Number.isFinite(x) || Math.abs(x) >= 1e21) return String(x); // toFixed's own limit
  return written(x, { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** `x` to `digits` significant digits, as toPrecision writes it, in the UI's language. */
export function precise(x: number, digits: number): string {
  if (!Number.isFinite(x)) return String(x);
  const exponent = Number(x.toExponential(digits - 1).split("e")[1]); // of x rounded to its digits
  if (exponent < -6 || exponent >= digits) return exponential(x, digits - 1); // as toPrecision: 1.234e-7
  return written(x, { minimumSignificantDigits: digits, maximumSignificantDigits: digits });
}

/** `x` in exponent notation with `digits` decimals, as toExponential writes it (1.23e-4),
 * in the UI's language. */
export function exponential(x: number, digits: number): string {
  if (!Number.isFinite(x)) return String(x);
  const [mantissa, power] = x.toExponential(digits).split("e");
  return `${fixed(Number(mantissa), digits)}e${power}`;
}

/** A number as String writes it (every digit it has), in the UI's language. */
export function plain(n: number): string {
  if (Number.isInteger(n) || !Number.isFinite(n)) return String(n);
  const point = written(0.5, { minimumFractionDigits: 1 }).charAt(1); // the language's decimal sign
  return String(n).replace(".", point);
}

/** A number with its digits grouped, in the UI's language (1,000; Spanish: 0,5, 1000 and
 * 10.000). */
export function grouped(x: number): string {
  return new Intl.NumberFormat(i18n.language).format(x);
}

/** An axis's tick label, as uPlot writes them by default (grouped). */
export const tick = grouped;

export function count(n: number): string {
  if (n >= 1e9) return `${fixed(n / 1e9, 1)}B`;
  if (n >= 1e6) return `${fixed(n / 1e6, 1)}M`;
  if (n >= 1e3) return `${fixed(n / 1e3, 1)}k`;
  return plain(n);
}

/** A size in bytes: 950 B, 12.3 kB, 4.5 MB. */
export function formatBytes(n: number): string {
  if (n >= 1e9) return `${fixed(n / 1e9, 1)} GB`;
  if (n >= 1e6) return `${fixed(n / 1e6, 1)} MB`;
  if (n >= 1e3) return `${fixed(n / 1e3, 1)} kB`;
  return `${plain(n)} B`;
}

export function flops(n: number): string {
  if (n >= 1e9) return `${fixed(n / 1e9, 1)} GFLOPs`;
  if (n >= 1e6) return `${fixed(n / 1e6, 1)} MFLOPs`;
  if (n >= 1e3) return `${fixed(n / 1e3, 1)} kFLOPs`;
  return `${plain(n)} FLOPs`;
}

export function shape(s: readonly number[]): string {
  return s.join("×");
}

/** 0.978 as "97.8%" (Spanish: "97,8 %"). */
export function percent(x: number): string {
  const value = fixed(100 * x, 1);
  return i18n.t("common:number.percent", { value });
}

/** Numbers in a row: "0.37, 0.83" (Spanish, whose decimal sign is the comma: "0,37; 0,83"). */
export function numbers(values: readonly string[]): string {
  return values.join(i18n.t("common:number.list"));
}

export function metric(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return "–";
  return Math.abs(x) >= 100 ? fixed(x, 1) : precise(x, 4);
}

export function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "–";
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const m = Math.floor(seconds / 60);
  return `${m} min ${Math.round(seconds - 60 * m)} s`;
}
