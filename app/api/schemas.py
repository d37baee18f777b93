"""API answers (…Out models). Requests reuse the spec models themselves."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints, computed_field

from app.api.examples import RUN_CONTINUE, RUN_CREATE, examples
from app.runs.score import Score, headline
from app.runs.service import RunRecord, RunSort
from app.spec import NetworkSpec
from app.spec.events import RunStatus
from app.spec.origin import InitFrom, RunOrigin
from app.spec.training import DatasetSpec, TaskKind, TrainingSpec

Responses = dict[int | str, dict[str, Any]]
"""The type of a route's `responses=` (extra documented answers)."""


class HealthOut(BaseModel):
    """The server's status; the versions and devices only when it needs no token (they
    would tell anyone which known flaws to try)."""

    status: str = Field(description="'ok' when the server is up.")
    version: str | None = Field(default=None, description="LayerLab's version.")
    torch: str | None = Field(default=None, description="PyTorch version.")
    devices: list[str] | None = Field(
        default=None, description="Devices training can use, e.g. ['cpu', 'cuda:0'].")


class LayerTypeOut(BaseModel):
    type: str
    category: str = Field(description="core, convolution, normalization, sequence or merge.")
    description: str
    min_inputs: int
    max_inputs: int
    json_schema: dict[str, Any] = Field(alias="schema", description="JSON schema of the fields.")

    model_config = {"populate_by_name": True}


class LayerSummaryOut(BaseModel):
    id: str
    type: str
    input_shapes: list[list[int]]
    output_shape: list[int]
    params: int
    trainable_params: int
    flops: int = Field(description="Floating point operations per sample (forward).")


class IssueOut(BaseModel):
    layer_id: str | None
    field: str | None
    message: str = Field(description="What is wrong and what to change, in English.")
    code: str | None = Field(default=None, description=(
        "The kind of problem, for a program to say it in its own words: pydantic's error "
        "type for a value (int_parsing, greater_than, missing, ...) or LayerLab's own "
        "(shape_mismatch, too_few_dimensions, unknown_layer_type, ...); see docs/api.md."))
    params: dict[str, Any] = Field(default_factory=dict, description=(
        "The values the message is made of, e.g. {\"gt\": 0}; shapes are lists of ints."))


class ValidateOut(BaseModel):
    valid: bool
    input_shape: list[int]
    output_shape: list[int]
    layers: list[LayerSummaryOut]
    total_params: int
    trainable_params: int
    total_flops: int
    activation_mb: float = Field(description=(
        "Estimated activation memory per sample, MiB: every layer's output and attention's "
        "heads x queries x keys score matrices. A run needs it times its batch_size."))
    warnings: list[str]
    disconnected: list[str] = Field(default_factory=list, description=(
        "Layers whose output never reaches the output layer (the last one): dead ends, "
        "computed for nothing. Each also has a line in warnings."))
    notes: list[str] = Field(default_factory=list, description=(
        "What training will do differently from a literal reading of the spec, e.g. that "
        "an output ending in softmax trains on the logits before it with cross_entropy."))
    trainable: bool = Field(default=True, description=(
        "Whether the network is within this server's limit on parameters "
        "(LAYERLAB_LIMITS__MAX_PARAMS). A network over it is still shown, layer by layer; "
        "a run of it is refused until the limit is raised. A run's batch is bounded too "
        "(LAYERLAB_LIMITS__MAX_BATCH_ACTIVATION_MB)."))
    over_limits: list[IssueOut] = Field(default_factory=list, description=(
        "Why it is not trainable here: each limit it crosses, the layer where it crosses "
        "it and the setting to raise."))


class ErrorOut(BaseModel):
    detail: str
    errors: list[IssueOut] = Field(default_factory=list)


class InvalidSpecOut(ErrorOut):
    """A spec that does not validate, with what could still be inferred of it."""

    input_shape: list[int] | None = Field(default=None, description=(
        "The input's shape; null when the input itself is invalid."))
    layers: list[LayerSummaryOut] = Field(default_factory=list, description=(
        "The layers whose shapes could be inferred: every valid layer that no invalid "
        "layer feeds, in the spec's order."))
    disconnected: list[str] = Field(default_factory=list, description=(
        "Layers whose output never reaches the output layer (the last one)."))


class PresetOut(BaseModel):
    name: str = Field(description="The preset's id, used in /presets/{name}.")
    title: str
    description: str
    input_shape: list[int]
    layers: int
    dataset: str | None = Field(description=(
        "The dataset it was made to train on; None where no built-in one fits it."))
    training: TrainingSpec | None = Field(description=(
        "The settings it trains with as loaded (a run of {'preset': name} without "
        "training uses them); None where no built-in dataset fits it."))


class PresetRef(BaseModel):
    """Train a preset network instead of sending a spec."""

    model_config = {"extra": "forbid"}
    preset: str = Field(min_length=1, max_length=64, description="A name from GET /presets.")


class TrainingChanges(TrainingSpec):
    """Training settings as a run of a preset gives them: any field may be left out,
    `dataset` too; those given are laid over the preset's own. With a network spec,
    `dataset` is required."""

    dataset: DatasetSpec | None = None  # type: ignore[assignment]


class RunCreate(BaseModel):
    model_config = {"extra": "forbid", "json_schema_extra": examples(RUN_CREATE)}
    name: str | None = Field(default=None, max_length=120, description=(
        "Default: the spec's name, numbered after the runs so named ('Toy MLP #3')."))
    model: NetworkSpec | PresetRef = Field(description="A network spec or {'preset': name}.")
    training: TrainingChanges | None = Field(default=None, description=(
        "Required with a network spec. With a preset: default, the preset's own settings; "
        "given, the fields set here are laid over the preset's (a group key by key; "
        "another dataset starts from none of the preset's dataset options)."))
    init_from: InitFrom | None = Field(
        default=None, description="Start from another run's weights (transfer learning): "
                                  "each layer whose id and shapes match is taken.")
    assignment_id: str | None = Field(default=None, max_length=64, description=(
        "The assignment it is for (a server with accounts): the fields the assignment "
        "locks must keep its starter's values."))


class RunContinue(BaseModel):
    """An edited continuation of a paused or ended run; what is left out stays as it was."""

    model_config = {"extra": "forbid", "json_schema_extra": examples(RUN_CONTINUE)}
    name: str | None = Field(default=None, max_length=120, description=(
        "Default: the run's name with the next number ('Toy MLP #4')."))
    model: NetworkSpec | PresetRef | None = Field(
        default=None, description="The edited network; default: the run's own.")
    training: TrainingSpec | None = Field(
        default=None, description="The edited training settings; default: the run's own.")


Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]


class RunEdit(BaseModel):
    """A run's own labels, edited at any time; what is left out stays as it was."""

    model_config = {"extra": "forbid"}
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                           max_length=120)] | None = None
    tags: list[Tag] | None = Field(default=None, max_length=20, description=(
        "Replaces the run's tags (each kept once, in the order given)."))
    description: str | None = Field(default=None, max_length=4000,
                                    description="A note of the user's own.")


class RunOut(RunRecord):
    """A run: its spec and config, status, timings, device, metrics and error."""

    queue_position: int | None = Field(default=None, description=(
        "While it is queued: its place in the queue (1: the next to start). Users take "
        "turns where the server has accounts."))

    @computed_field(description=(  # type: ignore[prop-decorator]
        "The number the run is judged by: validation accuracy, else validation loss, else "
        "training accuracy, else training loss, at its best epoch (null before its first)."))
    @property
    def score(self) -> Score | None:
        return headline(self)


class RunSummaryOut(BaseModel):
    id: str
    name: str
    network: str = Field(description="The network's name (its spec's).")
    tags: list[str]
    description: str
    status: RunStatus
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    device: str | None
    epoch: int
    step: int
    dataset: str
    error: str | None
    latest_metrics: dict[str, float | None]
    epochs: int = Field(description="The epochs it was set to train.")
    score: Score | None = Field(description="As a run's own score (see RunOut).")
    test_metrics: dict[str, float | None] = Field(
        description="Measured on the test split once training ended.")
    duration_s: float | None = Field(description=(
        "From its start to its end, or to now while it trains; null before it starts."))
    origin: RunOrigin | None = None


class RunListOut(BaseModel):
    runs: list[RunSummaryOut]
    total: int = Field(description="How many runs the query finds in all (this page aside).")
    limit: int
    offset: int


class RunListQuery(BaseModel):
    """GET /runs' query: filters that must all hold, a search, an order and a page. A
    parameter it does not know is refused (422), never ignored."""

    model_config = {"extra": "forbid"}

    status: list[RunStatus] = Field(default=[], max_length=16, description=(
        "Runs with any of these statuses (repeat the parameter for several)."))
    dataset: str | None = Field(default=None, max_length=128,
                                description="The dataset's name, e.g. mnist-10k.")
    task: TaskKind | None = Field(default=None, description=(
        "The kind of task: classification, regression, ..."))
    q: str = Field(default="", max_length=200, description=(
        "Search words, each found (any case) in the run's name, description, network name, "
        "dataset or tags."))
    created_after: datetime | None = Field(default=None, description="Created at or after.")
    created_before: datetime | None = Field(default=None, description="Created before.")
    sort: RunSort = Field(default="created", description=(
        "The column to order by; runs a value is missing from (no score yet, say) come last "
        "either way, and ties newest first."))
    order: Literal["asc", "desc"] | None = Field(default=None, description=(
        "Default: desc for created (newest first), asc for the others."))
    limit: int = Field(default=50, ge=1, le=500)
    offset: int = Field(default=0, ge=0, le=1_000_000)


class UploadOut(BaseModel):
    """An uploaded CSV table: train on it as dataset 'csv' with options {upload_id, ...}."""

    upload_id: str
    size: int = Field(description="The file's size in bytes.")
    created_at: datetime


class UploadsOut(BaseModel):
    """The uploaded tables, newest first, and the space they take of the quota."""

    uploads: list[UploadOut]
    used_bytes: int
    quota_bytes: int


class DatasetOut(BaseModel):
    name: str
    description: str
    tasks: list[str]
    input_shape: list[int]
    dtype: str
    num_classes: int | None
    class_names: list[str] | None
    target_shape: list[int]
    vocab_size: int | None
    splits: dict[str, int]
    features: list[str] | None = Field(default=None, description=(
        "A 2-D set's: what each input column is of the point (x, y), e.g. [\"x\", "
        "\"y\"] or [\"x_squared\", \"y_squared\"] (its `features` option); null for "
        "other sets."))
    options_schema: dict[str, Any] = Field(description="JSON schema of the dataset's options.")


class SampleOut(BaseModel):
    x: Any = Field(description="The input, shaped like the dataset's input (floats rounded).")
    y: Any = Field(description="The target: a class id, a token id, or a list (regression "
                   "targets, shifted sequences).")
    text: str | None = Field(None, description="A token input as text, decoded with the "
                             "dataset's vocabulary (a seq2seq input: its source); null for "
                             "other inputs.")
    label: str | None = Field(None, description="The target in words: a class name, or target "
                              "tokens as text; null for numeric targets.")


class DatasetDetailOut(DatasetOut):
    preview: list[SampleOut] = Field(description="The first training samples.")
    points: list[tuple[float, float, int]] | None = Field(None, description=(
        "A 2-D classification set's training points as [x0, x1, class id]: all of them, or "
        "500 spread evenly over the split when it holds more; null for other datasets."))
