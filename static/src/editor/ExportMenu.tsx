// Export, as one menu in the top bar: the network and its training settings as a JSON
// project file (Import reads it back, as it reads a preset's), or the network as PyTorch
// code (shown, then downloadable). A refused export is said by onRefused, in the
// UI's words.
import { useEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { ApiError, api, type NetworkSpec } from "../api/client";
import { CodeDialog } from "./CodeDialog";
import { issueText } from "./issueText";

interface Props {
  spec: NetworkSpec;
  training: Record<string, unknown> | null; // saved beside the network when there are any
  slug: string; // the files' name
  onRefused: (message: string) => void;
}

function download(name: string, text: string, type: string) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.click();
  URL.revokeObjectURL(url);
}

export function ExportMenu({ spec, training, slug, onRefused }: Props) {
  const { t } = useTranslation();
  const menu = useRef<HTMLDetailsElement>(null);
  const [code, setCode] = useState<string | null>(null);
  useEffect(() => { // a click elsewhere closes the menu, as Escape does
    const close = (e: MouseEvent) => {
      if (menu.current && !menu.current.contains(e.target as Node)) menu.current.open = false;
    };
    document.addEventListener("click", close);
    return () => document.removeEventListener("click", close);
  }, []);
  const choose = (action: () => void) => () => {
    if (menu.current) menu.current.open = false;
    action();
  };
  const exportCode = async () => {
    try {
      setCode(await api.exportCode(spec));
    } catch (error) {
      const issue = error instanceof ApiError ? error.issues[0] : undefined;
      const where = issue ? [issue.layer_id, issue.field].filter(Boolean).join(".") : "";
      const message = issue ? `${where ? `${where}: ` : ""}${issueText(issue)}`
        : error instanceof ApiError ? error.detail : null;
      onRefused(message !== null ? t("topBar.fixFirst", { message }) : String(error));
    }
  };
  return (
    <>
      <details className="menu" ref={menu} data-testid="export-menu"
        onKeyDown={(e) => { if (e.key === "Escape" && menu.current) menu.current.open = false; }}>
        <summary>{t("topBar.export")}</summary>
        <div className="menu-items" role="group" aria-label={t("topBar.export")}>
          <button type="button" onClick={choose(() => download(`${slug}.json`, JSON.stringify(training ? { ...spec, training } : spec, null, 2), "application/json"))}>
            {t("topBar.exportJson")}</button>
          <button type="button" onClick={choose(() => void exportCode())}>{t("topBar.exportCode")}</button>
        </div>
      </details>
      {code !== null && (
        <CodeDialog code={code} onDownload={() => download(`${slug}.py`, code, "text/x-python")}
          onClose={() => {
            setCode(null);
            menu.current?.querySelector("summary")?.focus(); // back to what opened it
          }} />
      )}
    </>
  );
}
