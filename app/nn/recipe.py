"""A recipe says how to construct one module. The builder instantiates it and code
export prints it, so the model and its exported code cannot drift apart."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from torch import nn

from app.nn import modules as custom


@dataclass(frozen=True)
class Recipe:
    """`factory(*args, **kwargs)`, where factory is `nn.<Name>` or a class of app.nn.modules.

    Arguments may themselves be recipes (e.g. the parts of an nn.Sequential).
    """

    factory: str
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)

    def instantiate(self) -> nn.Module:
        args = [_build(a) for a in self.args]
        kwargs = {k: _build(v) for k, v in self.kwargs.items()}
        module: nn.Module = resolve_factory(self.factory)(*args, **kwargs)
        return module

    def to_source(self) -> str:
        parts = [_source(a) for a in self.args]
        parts += [f"{k}={_source(v)}" for k, v in self.kwargs.items()]
        return f"{self.factory}({', '.join(parts)})"

    def custom_classes(self) -> set[str]:
        """Names of the app.nn.modules classes this recipe (and its parts) uses."""
        found = set() if self.factory.startswith("nn.") else {self.factory}
        for value in (*self.args, *self.kwargs.values()):
            if isinstance(value, Recipe):
                found |= value.custom_classes()
        return found


def nn_call(name: str, *args: Any, **kwargs: Any) -> Recipe:
    """A recipe for `torch.nn.<name>(...)`."""
    return Recipe(f"nn.{name}", args, kwargs)


def custom_call(name: str, *args: Any, **kwargs: Any) -> Recipe:
    """A recipe for one of LayerLab's own modules (app.nn.modules)."""
    if name not in custom.__all__:
        raise KeyError(f"{name} is not a class of app.nn.modules")
    return Recipe(name, args, kwargs)


def sequential(*parts: Recipe | None) -> Recipe:
    """Several recipes run in order; a single one stays as it is."""
    kept = [p for p in parts if p is not None]
    return kept[0] if len(kept) == 1 else nn_call("Sequential", *kept)


def resolve_factory(factory: str) -> Any:
    if factory.startswith("nn."):
        return getattr(nn, factory.removeprefix("nn."))
    return getattr(custom, factory)


def _build(value: Any) -> Any:
    return value.instantiate() if isinstance(value, Recipe) else value


def _source(value: Any) -> str:
    return value.to_source() if isinstance(value, Recipe) else repr(value)
