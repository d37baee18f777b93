// Compared runs in colours that stay apart however many are ticked: eight chosen ones,
// then hues a golden angle apart. Hex, so a band can take the colour with an alpha.
const CHOSEN = ["#2563eb", "#ea580c", "#059669", "#7c3aed", "#db2777", "#0891b2", "#ca8a04", "#475569"];

function hex(h: number, s: number, l: number): string {
  const k = (n: number) => (n + h / 30) % 12;
  const a = s * Math.min(l, 1 - l);
  const f = (n: number) => l - a * Math.max(-1, Math.min(k(n) - 3, Math.min(9 - k(n), 1)));
  return `#${[f(0), f(8), f(4)].map((v) => Math.round(v * 255).toString(16).padStart(2, "0")).join("")}`;
}

/** The i-th compared run's colour (0 for the first). */
export function runColour(i: number): string {
  return i < CHOSEN.length ? CHOSEN[i] : hex(((i - CHOSEN.length) * 137.508 + 20) % 360, 0.65, 0.45);
}
