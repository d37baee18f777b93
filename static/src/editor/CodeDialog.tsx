// The exported PyTorch code in a modal dialog: the native <dialog> opened with showModal()
// takes focus, makes the page behind it inert and closes on Escape; Tab wraps around its
// own controls rather than leaving for the browser's.
import { useEffect, useId, useRef, type KeyboardEvent } from "react";
import { useTranslation } from "react-i18next";

interface Props {
  code: string;
  onDownload: () => void;
  onClose: () => void; // after Escape or Close; the caller gives focus back to its opener
}

const FOCUSABLE = "button, [href], input, select, textarea, [tabindex]:not([tabindex='-1'])";

/** Tab past the last control goes to the first, Shift+Tab past the first to the last. */
function wrapTab(e: KeyboardEvent<HTMLElement>) {
  if (e.key !== "Tab") return;
  const controls = [...e.currentTarget.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => !el.hasAttribute("disabled"));
  if (!controls.length) return;
  const [first, last] = [controls[0], controls[controls.length - 1]];
  const active = document.activeElement;
  if (e.shiftKey ? active === first || !e.currentTarget.contains(active) : active === last) {
    e.preventDefault();
    (e.shiftKey ? last : first).focus();
  }
}

export function CodeDialog({ code, onDownload, onClose }: Props) {
  const { t } = useTranslation();
  const dialog = useRef<HTMLDialogElement>(null);
  const title = useId();
  useEffect(() => {
    // (unmounting removes it from the top layer; closing there would report a close)
    if (!dialog.current!.open) dialog.current!.showModal();
  }, []);
  return (
    <dialog ref={dialog} className="modal-body" aria-modal="true" aria-labelledby={title} data-testid="code-dialog"
      onClose={onClose} onKeyDown={wrapTab}>
      <header>
        <h2 id={title}>{t("code.title")}</h2>
        <button type="button" onClick={onDownload}>{t("code.download")}</button>
        <button type="button" onClick={() => dialog.current?.close()}>{t("code.close")}</button>
      </header>
      <pre data-testid="code" tabIndex={0}>{code}</pre>
    </dialog>
  );
}
