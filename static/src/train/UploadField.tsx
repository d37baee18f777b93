// A dataset option that names an upload (its schema marks it `x-upload`: a CSV table or a
// zip of image folders): a file to choose, sent to the server, whose answer's upload_id
// fills the option, or one uploaded before, picked from the list (and deleted there); what
// the server refuses is shown as it says it (the file at fault, the run that uses it).
import { useCallback, useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { ApiError, api, type StoredUpload } from "../api/client";
import { formatBytes } from "../format";

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
  /** The upload the option names now; null once the one it named is deleted. */
  onUploaded: (uploadId: string | null) => void;
}

export function UploadField({ kind, value, onUploaded }: Props) {
  const { t } = useTranslation("train");
  // what arrived (said in the UI's language as it is now), or why not
  const [state, setState] = useState<{ busy?: boolean; arrived?: { images?: number; classes?: string[] }; error?: string }>({});
  const [stored, setStored] = useState<StoredUpload[]>([]);
  const refresh = useCallback(() => api.uploads(kind).then(setStored, () => setStored([])), [kind]);
  useEffect(() => { void refresh(); }, [refresh]);
  const send = async (file: File | undefined) => {
    if (!file) return;
    setState({ busy: true });
    try {
      const answer = await api.upload(kind, file) as { upload_id: string; images?: number; classes?: string[] };
      setState({ arrived: { images: answer.images, classes: answer.classes } });
      onUploaded(answer.upload_id);
      void refresh();
    } catch (err) {
      setState({ error: err instanceof ApiError ? err.detail : String(err) });
    }
  };
  const remove = async (id: string) => {
    try {
      await api.deleteUpload(kind, id);
      setState({});
      onUploaded(null);
      void refresh();
    } catch (err) {
      setState({ error: err instanceof ApiError ? err.detail : String(err) });
    }
  };
  const label = (u: StoredUpload) => u.images !== undefined
    ? t("upload.storedImages", { name: u.name, images: u.images, count: u.classes?.length ?? 0 })
    : t("upload.storedTable", { size: formatBytes(u.size ?? 0), date: new Date(u.created).toLocaleString() });
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
      {!state.arrived && value && !stored.some((u) => u.id === value) && (
        <small className="hint">{t("upload.using", { id: value.slice(0, 8) })}</small>)}
      {stored.length > 0 && (
        <div className="stored-uploads">
          <select aria-label={t("upload.before")} value={stored.some((u) => u.id === value) ? value : ""}
            data-testid="upload-stored" onChange={(e) => {
              if (!e.target.value) return;
              setState({});
              onUploaded(e.target.value);
            }}>
            <option value="">{t("upload.before")}</option>
            {stored.map((u) => <option key={u.id} value={u.id}>{label(u)}</option>)}
          </select>
          {value && stored.some((u) => u.id === value) && (
            <button type="button" className="link" data-testid="upload-delete"
              onClick={() => void remove(value)}>{t("upload.delete")}</button>
          )}
        </div>
      )}
      {state.error && <small className="error" role="alert">{state.error}</small>}
    </div>
  );
}
