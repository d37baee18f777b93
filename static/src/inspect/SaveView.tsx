// Save the view on screen: as a PNG or an SVG picture (for slides and reports) and its
// numbers as JSON (the answers it was drawn from). html-to-image draws the DOM, canvases
// included, as the browser shows it: a solved problem we do not write again.
import { toPng, toSvg } from "html-to-image";
import { createContext, type RefObject } from "react";
import { useTranslation } from "react-i18next";

/** Where the views report the answers they show (by their key), for the JSON export. */
export const ViewAnswers = createContext<((key: string, data: unknown) => void) | null>(null);

interface Props {
  target: RefObject<HTMLElement | null>; // the view's box
  answers: RefObject<Map<string, unknown>>;
  name: string; // the file name without its extension
}

function download(href: string, file: string): void {
  const link = document.createElement("a");
  link.href = href;
  link.download = file;
  link.click();
}

/** The picture's background: the panel's own, so a dark theme saves dark. */
function background(element: HTMLElement): string {
  let node: HTMLElement | null = element;
  while (node) {
    const colour = getComputedStyle(node).backgroundColor;
    if (colour && colour !== "rgba(0, 0, 0, 0)" && colour !== "transparent") return colour;
    node = node.parentElement;
  }
  return "#ffffff";
}

export function SaveView({ target, answers, name }: Props) {
  const { t } = useTranslation("inspect");
  const picture = async (kind: "png" | "svg") => {
    const element = target.current;
    if (!element) return;
    const options = { backgroundColor: background(element), pixelRatio: 2, cacheBust: false };
    const href = kind === "png" ? await toPng(element, options) : await toSvg(element, options);
    download(href, `${name}.${kind}`);
  };
  const numbers = () => {
    const text = JSON.stringify(Object.fromEntries(answers.current ?? new Map()), null, 1);
    download(URL.createObjectURL(new Blob([text], { type: "application/json" })), `${name}.json`);
  };
  return (
    <span className="save-view" role="group" aria-label={t("save.label")}>
      {t("save.label")}
      <button type="button" onClick={() => void picture("png")} title={t("save.pngTitle")}>{t("save.png")}</button>
      <button type="button" onClick={() => void picture("svg")} title={t("save.svgTitle")}>{t("save.svg")}</button>
      <button type="button" onClick={numbers} title={t("save.jsonTitle")}>{t("save.json")}</button>
    </span>
  );
}
