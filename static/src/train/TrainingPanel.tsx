// Training settings: a dataset (with a preview of samples and its options) and the
// training config, both generated from their schemas, with defaults per dataset.
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, IMPORTED, type DatasetSummary, type ImportedNetwork } from "../api/client";
import { useMeta } from "../api/meta";
import { SchemaForm, type FormText, type JsonSchema } from "../editor/SchemaForm";
import { entry } from "../editor/labels";
import { shape } from "../format";
import i18n from "../i18n";
import { DatasetPreview } from "./DatasetPreview";
import { PointsEditor, pointsOption, type DrawnPoint } from "./PointsEditor";
import { UploadField, uploadOption } from "./UploadField";
import type { ChosenDataset } from "./useDatasetDetail";
import { PAGE_SIZE, useRunList, useSettled } from "./useRunList";
import { datasetDescription, datasetOptionsText, statusLabel, trainingFormText, type Section } from "./labels";
import { kindOf, useTaskKinds, type TaskKind } from "../taskKinds";
import { TRAINING_SCHEMA } from "./schemas";
import { advanced, FIRST, FOLDED_GROUPS, optimizerFields, pick, REGULARISATION, THEN } from "./formLayout";

export type Training = Record<string, unknown> & { dataset: { name: string; options: Record<string, unknown> } };

/** Sensible settings for a dataset: toys train fast with a high learning rate. */
export function defaultsFor(dataset: DatasetSummary): Training {
  const toy = dataset.input_shape.length === 1 && dataset.input_shape[0] <= 16;
  return {
    dataset: { name: dataset.name, options: {} },
    epochs: toy ? 30 : 3,
    batch_size: toy ? 32 : 64,
    validation_split: 0.2,
    optimizer: { name: "adam", lr: toy ? 0.03 : 0.001 },
  };
}

interface Props {
  training: Training | null;
  datasets: DatasetSummary[];
  chosen: ChosenDataset; // the chosen dataset as its options make it
  inputShape: number[];
  onChange: (training: Training) => void;
  onUseInputShape: (shape: number[]) => void;
  layerIds: string[];
  initFrom: string | null; // a run whose weights the next run starts from
  onInitFrom: (runId: string | null) => void;
  hidden?: Set<string>; // controls an assignment hides (app/classroom/models.py HIDEABLE)
}

export function TrainingPanel({ training, datasets, chosen, inputShape, onChange, onUseInputShape, layerIds, initFrom,
  onInitFrom, hidden = new Set() }: Props) {
  const { t } = useTranslation("train");
  const kinds = useTaskKinds();
  const name = training?.dataset.name;
  if (!training) return <p className="muted">{t("panel.loading")}</p>;
  const dataset = datasets.find((d) => d.name === name);
  // a network that reads noise (a GAN's): the dataset's shape is what its generator must give
  const kind = kindOf(kinds, training.task ?? dataset?.tasks[0]); // the task it trains
  const readsNoise = kind?.reads_samples === false;
  const optimizer = kind?.training_defaults.optimizer as { lr?: number; betas?: number[] } | undefined;
  // the input the dataset gives with its options (e.g. a 2-D set's features), once known
  const given = chosen.given?.input_shape;
  const mismatch = given && !readsNoise && shape(given) !== shape(inputShape);
  const set = (key: string, value: unknown) => onChange({ ...training, [key]: value });
  const shows = (control: string) => !hidden.has(control); // an assignment may hide some
  // the dataset's options: points placed by hand on their own editor, the rest in a form
  const optionsSchema = (dataset?.options_schema ?? {}) as JsonSchema;
  const drawn = pointsOption(optionsSchema);
  const upload = uploadOption(optionsSchema);
  const edited = new Set([drawn?.key, upload?.key]); // shown by editors of their own, not in the form
  const formSchema: JsonSchema = { ...optionsSchema, properties: Object.fromEntries(
    Object.entries(optionsSchema.properties ?? {}).filter(([key]) => !edited.has(key))) };
  const options = (training.dataset.options ?? {}) as Record<string, unknown>;
  const setTop = (next: Record<string, unknown>) => onChange(withTaskDefaults(training, next as Training, kinds));
  const own = kind?.settings ?? []; // the settings only this task reads
  const optimizerSchema = TRAINING_SCHEMA.properties!.optimizer;
  const optimizerValue = (training.optimizer ?? {}) as Record<string, unknown>;
  // what leaving the task or the loss empty picks
  const text: FormText = { ...trainingFormText("training"), none: (field) => {
    const auto = field === "task" ? dataset?.tasks[0] : field === "loss" ? kind?.default_loss : undefined;
    if (auto !== undefined) return t("panel.auto", { value: optionLabel(field, auto) });
    // a dataset that needs its data first (an upload) tells its task once it has it
    const waiting = dataset && dataset.tasks.length === 0 && (field === "task" || field === "loss");
    return waiting ? t("panel.autoLater") : undefined;
  } };
  return (
    <div className="training-panel">
      <h2>{t("panel.title")}</h2>
      {hidden.has("dataset") ? <p data-testid="dataset-fixed">{t("panel.dataset")}: <strong>{name}</strong></p> : <>
      <div className="field">
        <label htmlFor="dataset">{t("panel.dataset")}</label>
        <select id="dataset" value={name}
          onChange={(e) => onChange({ ...defaultsFor(datasets.find((d) => d.name === e.target.value)!),
            ...Object.fromEntries(Object.entries(training).filter(([k]) => k !== "dataset")),
            dataset: { name: e.target.value, options: {} } })}>
          {datasets.map((d) => (
            <option key={d.name} value={d.name}>{d.name} · {shape(d.input_shape)}</option>
          ))}
        </select>
        {dataset && <small className="hint">{datasetDescription(dataset)}</small>}
        {dataset && readsNoise && (
          <small className="hint" data-testid="gan-shapes">{t("panel.ganShapes", { noise: shape(inputShape),
            sample: shape(dataset.input_shape), lr: optimizer?.lr, betas: optimizer?.betas?.join(", ") })}</small>
        )}
        {mismatch && (
          <small className="error" role="alert">
            {t("panel.mismatch", { dataset: shape(given), network: shape(inputShape) })}{" "}
            <button type="button" onClick={() => onUseInputShape(given)}>
              {t("panel.useShape", { shape: shape(given) })}</button>
          </small>
        )}
      </div>
      {upload && (
        <UploadField kind={upload.kind} value={options[upload.key] as string | undefined}
          onUploaded={(id) => set("dataset", { ...training.dataset, options: id === null
            ? Object.fromEntries(Object.entries(options).filter(([key]) => key !== upload.key))
            : { ...options, [upload.key]: id } })} />
      )}
      {drawn && dataset ? (
        <PointsEditor mode={drawn.mode}
          points={(options[drawn.key] ?? optionsSchema.properties?.[drawn.key]?.default ?? []) as DrawnPoint[]}
          onChange={(points) => set("dataset", { ...training.dataset, options: { ...options, [drawn.key]: points } })} />
      ) : chosen.detail && <DatasetPreview dataset={chosen.detail} />}
      {dataset && Object.keys(formSchema.properties ?? {}).length > 0 && (
        <details>
          <summary>{t("panel.datasetOptions")}</summary>
          <SchemaForm schema={formSchema} value={options}
            text={datasetOptionsText(dataset.name)} onChange={(o) => set("dataset", { ...training.dataset, options: o })} />
        </details>
      )}
      </>}
      <SchemaForm schema={pick(TRAINING_SCHEMA, FIRST.filter(shows))} value={training} text={text} onChange={setTop} />
      {shows("optimizer") && <fieldset className="optimizer-settings" data-testid="optimizer-settings">
        <legend>{sectionTitle("optimizer")}</legend>
        <SchemaForm schema={pick(optimizerSchema, optimizerFields(optimizerSchema, optimizerValue.name ?? optimizerSchema.properties?.name?.default))}
          value={optimizerValue} idPrefix="optimizer-" text={trainingFormText("optimizer")} onChange={(v) => set("optimizer", v)} />
      </fieldset>}
      <SchemaForm schema={pick(TRAINING_SCHEMA, [...THEN.filter(shows), ...own.filter((key) => !isGroup(key))])} value={training}
        text={text} onChange={setTop} />
      {own.filter(isGroup).map((key) => <Group key={key} name={key} training={training} layerIds={layerIds} open onChange={set} />)}
      {shows("regularization") && <details data-testid="regularisation-settings">
        <summary>{t("panel.regularisation")}</summary>
        <SchemaForm schema={pick(TRAINING_SCHEMA, REGULARISATION)} value={training} text={text} onChange={setTop} />
      </details>}
      {FOLDED_GROUPS.filter(shows).map((key) => <Group key={key} name={key} training={training} layerIds={layerIds} onChange={set} />)}
      <TransferFields training={training} layerIds={layerIds} initFrom={initFrom} onInitFrom={onInitFrom}
        onLayerLr={(rates) => set("layer_lr", rates)} />
      {shows("advanced") && <details data-testid="advanced-settings">
        <summary>{t("panel.advanced")}</summary>
        <SchemaForm schema={pick(TRAINING_SCHEMA, advanced(kinds))} value={training} text={text} onChange={setTop} />
      </details>}
    </div>
  );
}

/** Switching to a task takes the settings its kind trains with (a GAN's optimizer: with
 * the usual defaults its discriminator wins at once); a nested group is merged into the
 * one set, other settings replace it. */
export function withTaskDefaults(before: Training, after: Training, kinds: TaskKind[]): Training {
  if (after.task === before.task) return after;
  const defaults = kindOf(kinds, after.task)?.training_defaults ?? {};
  const merged: Record<string, unknown> = { ...after };
  for (const [key, value] of Object.entries(defaults)) {
    const nested = typeof value === "object" && value !== null && !Array.isArray(value);
    merged[key] = nested ? { ...(merged[key] as object | undefined), ...structuredClone(value) } : structuredClone(value);
  }
  return merged as Training;
}

/** A choice's value as the form shows it (the server's word where the catalog has none). */
function optionLabel(field: string, value: unknown): string {
  return trainingFormText("training").option?.(field, value) ?? String(value);
}

/** Whether a top-level setting is a group of nested settings (a gan's). */
function isGroup(key: string): boolean {
  return TRAINING_SCHEMA.properties?.[key]?.properties !== undefined;
}

interface GroupProps {
  name: string;
  training: Training;
  layerIds: string[];
  open?: boolean;
  onChange: (key: string, value: unknown) => void;
}

/** A group of nested settings (a schedule, early stopping, a gan's) under its heading. */
function Group({ name, training, layerIds, open = false, onChange }: GroupProps) {
  return (
    <details open={open} data-testid={`${name}-settings`}>
      <summary>{sectionTitle(name)}</summary>
      <SchemaForm schema={nestedSchema(name, layerIds)} value={(training[name] as Record<string, unknown>) ?? {}}
        idPrefix={`${name}-`} text={trainingFormText(name as Section)} onChange={(v) => onChange(name, v)} />
    </details>
  );
}

/** A group of nested settings as its heading names it. */
function sectionTitle(key: string): string {
  return entry(i18n.t("train:sections", { returnObjects: true }), key) ?? key.replace("_", " ");
}

/** A nested settings' schema; a generator's output layer (a GAN's) is picked from the
 * network's layers. */
function nestedSchema(key: string, layerIds: string[]): JsonSchema {
  const schema = TRAINING_SCHEMA.properties![key];
  const output = schema.properties?.generator_output;
  if (!output || !layerIds.length) return schema;
  return { ...schema, properties: { ...schema.properties,
    generator_output: { ...output, anyOf: [{ enum: layerIds }, { type: "null" }] } } };
}

interface TransferProps {
  training: Training;
  layerIds: string[];
  initFrom: string | null;
  onInitFrom: (runId: string | null) => void;
  onLayerLr: (rates: Record<string, number>) => void;
}

/** Transfer learning: start from a trained run's weights (layers matched by id and
 * shape; untick "trainable" on a layer to freeze it) and per-layer learning rates. */
function TransferFields({ training, layerIds, initFrom, onInitFrom, onLayerLr }: TransferProps) {
  const { t } = useTranslation("train");
  const { continuable_statuses: withWeights } = useMeta(); // at rest, with weights to start from
  const [open, setOpen] = useState(!!initFrom);
  const [search, setSearch] = useState("");
  const q = useSettled(search.trim());
  const [{ runs, total }] = useRunList({ q, status: withWeights, limit: PAGE_SIZE }, open ? 5000 : null);
  const [imports, setImports] = useState<ImportedNetwork[]>([]);
  useEffect(() => {
    if (open) api.imports().then(setImports, () => setImports([]));
  }, [open, initFrom]);
  const known = runs.some((r) => r.id === initFrom) || imports.some((m) => `${IMPORTED}${m.id}` === initFrom);
  const unknownLabel = initFrom?.startsWith(IMPORTED)
    ? t("transfer.imported", { id: initFrom.slice(IMPORTED.length, IMPORTED.length + 8) })
    : t("transfer.run", { id: initFrom?.slice(0, 8) });
  const rates = (training.layer_lr ?? {}) as Record<string, number>;
  const setRate = (id: string, value: number) => {
    const next = Object.fromEntries(Object.entries(rates).filter(([k]) => k !== id && layerIds.includes(k)));
    onLayerLr(Number.isFinite(value) && value > 0 && value !== 1 ? { ...next, [id]: value } : next);
  };
  return (
    <details onToggle={(e) => setOpen(e.currentTarget.open)} open={!!initFrom || Object.keys(rates).length > 0}>
      <summary>{t("transfer.title")}</summary>
      <div className="field">
        <label htmlFor="init-from">{t("transfer.from")}</label>
        <input type="search" value={search} onChange={(e) => setSearch(e.target.value)} placeholder={t("transfer.search")}
          aria-label={t("transfer.search")} data-testid="init-from-search" />
        <select id="init-from" value={initFrom ?? ""} onChange={(e) => onInitFrom(e.target.value || null)}>
          <option value="">{t("transfer.nothing")}</option>
          {initFrom && !known && <option value={initFrom}>{unknownLabel}</option>}
          {runs.map((r) => <option key={r.id} value={r.id}>{r.name} · {r.id.slice(0, 8)} · {statusLabel(r.status)}</option>)}
          {imports.length > 0 && <optgroup label={t("transfer.imports")}>
            {imports.map((m) => <option key={m.id} value={`${IMPORTED}${m.id}`}>{m.name} · {m.filename}</option>)}
          </optgroup>}
        </select>
        {total > runs.length && <small className="hint" data-testid="init-from-more">{t("transfer.more", { shown: runs.length, total })}</small>}
        <small className="hint">{t("transfer.hint")}</small>
      </div>
      <fieldset className="layer-lr">
        <legend>{t("transfer.layerLr")}</legend>
        {layerIds.map((id) => (
          <div className="field" key={id}>
            <label htmlFor={`layer-lr-${id}`}>{id}</label>
            <input id={`layer-lr-${id}`} type="number" min={0} step="any" value={rates[id] ?? 1}
              onChange={(e) => setRate(id, Number(e.target.value))} />
          </div>
        ))}
      </fieldset>
    </details>
  );
}
