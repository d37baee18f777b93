// A dataset option that names an upload (its schema marks it `x-upload`: a CSV table or a
// zip of image folders): a file to choose, sent to the server, whose answer's upload_id
// fills the option; what the server refuses is shown as it says it (the file at fault).
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { ApiError, api } from "../api/client";

/** The option that holds an upload's id, and the kind of upload, if the schema has one. */
export function uploadOption(schema: { properties?: Record<string, unknown> }): { key: string; kind: string } | null {
  for (const [key, field] of Object.entries(schema.properties ?? {})) {
    const kind = (field as { "x-upload"?: string })["x-upload"];
    if (kind) return { key, kind };
  }
  return null;
}

interface Props {
  kind: string;
  value: string | undefined;
  onUploaded: (uploadId: string) => void;
}

export function UploadField({ kind, value, onUploaded }: Props) {
  const { t } = useTranslation("train");
  // what arrived (said in the UI's language as it is now), or why not
  const [state, setState] = useState<{ busy?: boolean; arrived?: { images?: number; classes?: string[] }; error?: string }>({});
  const send = async (file: File | undefined) => {
    if (!file) return;
    setState({ busy: true });
    try {
      const answer = await api.upload(kind, file) as { upload_id: string; images?: number; classes?: string[] };
      setState({ arrived: { images: answer.images, classes: answer.classes } });
      onUploaded(answer.upload_id);
    } catch (err) {
      setState({ error: err instanceof ApiError ? err.detail : String(err) });
    }
  };
  return (
    <div className="field upload-field" data-testid="upload-field">
      <label>{t(`upload.${kind === "images" ? "images" : "csv"}`)}{" "}
        <input type="file" accept={kind === "images" ? ".zip,application/zip" : ".csv,text/csv"}
          onChange={(e) => void send(e.target.files?.[0])} disabled={state.busy} data-testid="upload-file" /></label>
      {state.busy && <small className="hint">{t("upload.sending")}</small>}
      {state.arrived && <small className="hint" data-testid="upload-done">{state.arrived.classes
        ? t("upload.imagesDone", { images: state.arrived.images, count: state.arrived.classes.length,
          names: state.arrived.classes.join(", ") })
        : t("upload.done")}</small>}
      {!state.arrived && value && <small className="hint">{t("upload.using", { id: value.slice(0, 8) })}</small>}
      {state.error && <small className="error" role="alert">{state.error}</small>}
    </div>
  );
}
