// The theme's colours for what is painted into a canvas (charts, the decision boundary),
// which CSS cannot restyle: read from app.css's variables, and read again whenever the
// theme changes (the top bar's button sets data-theme on the root).
import { useEffect, useState } from "react";

export interface ThemeColours {
  theme: string; // "light" or "dark"
  ink: string; // text: tick labels, axis titles, marks
  grid: string; // grid lines and ticks
  muted: string; // secondary text and lines
  panel: string; // the background a canvas is painted over
}

function read(): ThemeColours {
  const root = document.documentElement;
  const style = getComputedStyle(root);
  const variable = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
  return {
    theme: root.dataset.theme ?? "light",
    ink: variable("--text", "#0f172a"),
    grid: variable("--line", "#cbd5e1"),
    muted: variable("--muted", "#475569"),
    panel: variable("--panel", "#ffffff"),
  };
}

/** The theme's colours, new each time the theme changes. */
export function useThemeColours(): ThemeColours {
  const [colours, setColours] = useState(read);
  useEffect(() => {
    const update = () => setColours((before) => {
      const now = read();
      return now.theme === before.theme && now.ink === before.ink ? before : now;
    });
    const observer = new MutationObserver(update);
    observer.observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme"] });
    update(); // a change between the first render and now
    return () => observer.disconnect();
  }, []);
  return colours;
}

/** "#1e293b" (or "rgb(30, 41, 59)") as [30, 41, 59]. */
export function rgbOf(colour: string): number[] {
  const hex = /^#([0-9a-f]{6})$/i.exec(colour);
  if (hex) return [0, 2, 4].map((i) => parseInt(hex[1].slice(i, i + 2), 16));
  const numbers = colour.match(/[\d.]+/g);
  return numbers && numbers.length >= 3 ? numbers.slice(0, 3).map(Number) : [255, 255, 255];
}
