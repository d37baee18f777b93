"""What a run is, for deciding what can be shown of it: its task kind, what its output
means, its input and its layer types, all known from its spec and settings."""

from __future__ import annotations

from dataclasses import dataclass

from app.datasets.base import describe_dataset
from app.spec import NetworkSpec
from app.spec.training import TrainingSpec
from app.spec.views import OutputKind
from app.train.task_kinds import TaskKindDef, kind_of


@dataclass(frozen=True)
class RunFacts:
    """What decides which views a run has: its task kind, what its output means, its
    input and the layer types it holds. Known from the spec and settings alone."""

    kind: TaskKindDef
    output: OutputKind
    input_shape: tuple[int, ...]
    input_dtype: str
    layer_types: frozenset[str]
    features: tuple[str, ...] | None = None  # the input's columns, of a point (x, y)

    @classmethod
    def of(cls, spec: NetworkSpec, training: TrainingSpec) -> RunFacts:
        info = describe_dataset(training.dataset.name, training.dataset.options)
        kind = kind_of(training.task, info)
        return cls(kind, kind.output(training.loss or kind.default_loss),
                   tuple(spec.input.shape), spec.input.dtype,
                   frozenset(layer.type for layer in spec.layers), info.plane)

    @property
    def fed(self) -> bool:
        """The network reads the dataset's samples (a GAN's reads noise)."""
        return self.kind.reads_samples

    @property
    def image(self) -> bool:
        """A float input shaped (channels, height, width)."""
        return len(self.input_shape) == 3 and self.input_dtype == "float"

    @property
    def plane(self) -> bool:
        """A network over 2-D points (or features of them) whose output can be drawn over
        the plane (its decision boundary, streamed as it trains and a view after)."""
        return (self.fed and self.features is not None and self.input_dtype == "float"
                and self.input_shape == (len(self.features),)
                and self.output in ("classes", "binary", "value"))

    def has(self, *types: str) -> bool:
        """Whether the network holds a layer of any of these types."""
        return not self.layer_types.isdisjoint(types)
