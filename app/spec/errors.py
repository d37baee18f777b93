"""Spec problems as data: each names the layer and field and says what to change.

Every pydantic validation error in LayerLab (a spec, training settings, a sweep's trial,
dataset options, a request body) is turned into words here, by issues_from_errors."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from pydantic import ValidationError


@dataclass(frozen=True)
class SpecIssue:
    """One problem with a spec. `layer_id`/`field` are None when they don't apply.

    `code` names the kind of problem for a program (pydantic's error type, such as
    'int_parsing' or 'greater_than', or LayerLab's own, such as 'shape_mismatch') and
    `params` holds its values as plain JSON ({'gt': 0}, shapes as lists), so a UI can
    say it in its own words; `message` says it in English."""

    message: str
    layer_id: str | None = None
    field: str | None = None
    code: str | None = None
    params: dict[str, Any] = dataclasses.field(default_factory=dict, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        where = ".".join(p for p in (self.layer_id, self.field) if p)
        return f"{where}: {self.message}" if where else self.message

    @property
    def path(self) -> str:
        """Where it is as a dotted path into the spec's JSON, a layer named by its id:
        'layers.conv1.filters', 'optimizer.lr' ('' for the whole)."""
        layer = f"layers.{self.layer_id}" if self.layer_id is not None else None
        return ".".join(p for p in (layer, self.field) if p)


class SpecError(ValueError):
    """A spec that cannot be built, with every problem found."""

    def __init__(self, issues: Sequence[SpecIssue]) -> None:
        self.issues = list(issues)
        super().__init__("; ".join(str(i) for i in self.issues))

    @classmethod
    def single(
        cls, message: str, layer_id: str | None = None, field: str | None = None,
        code: str | None = None, params: Mapping[str, Any] | None = None,
    ) -> SpecError:
        return cls([SpecIssue(message, layer_id, field, code, plain_params(params or {}))])


def plain_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """An issue's values as JSON: numbers, strings and lists stay, tuples (shapes) become
    lists, anything else (an exception pydantic keeps in its ctx) is left out."""
    return {str(k): v for k, v in ((k, _plain(v)) for k, v in params.items()) if v is not _SKIP}


_SKIP = object()


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        items = [_plain(v) for v in value]
        return _SKIP if any(v is _SKIP for v in items) else items
    return _SKIP


def issues_from_validation(exc: ValidationError, data: Any) -> list[SpecIssue]:
    """Translate pydantic errors on `data` (a NetworkSpec's, or any other model's) into
    issues; a spec's layers are named by their ids."""
    return issues_from_errors(exc.errors(include_url=False), data)


def describe_validation(exc: ValidationError, data: Any) -> str:
    """The same as one line: 'conv1.filters: Input should be ...; optimizer.lr: ...'."""
    return "; ".join(map(str, issues_from_validation(exc, data)))


def issues_from_errors(errors: Sequence[Mapping[str, Any]], data: Any) -> list[SpecIssue]:
    """The same, from pydantic error dicts whose loc starts at the spec's top level."""
    issues: list[SpecIssue] = []
    # A value that fits no member of a union (e.g. kernel_size: int | [int, int]) gets
    # one error per member; keep one issue per field, preferring errors about the value
    # over "wrong type" errors from the members it was never meant for.
    grouped: dict[tuple[str | None, str | None], list[tuple[str, SpecIssue]]] = {}
    for err in errors:
        nested = (err.get("ctx") or {}).get("issues")
        if nested:
            issues.extend(SpecIssue(**item) for item in nested)
            continue
        issue = _issue_from_error(err, data)
        field = issue.field
        if issue.layer_id is not None and field:
            field = field.split(".")[0]  # layer fields are flat: group union members
        grouped.setdefault((issue.layer_id, field), []).append((str(err.get("type")), issue))
    for found in grouped.values():
        about_value = [i for kind, i in found if not kind.endswith(("_type", "_parsing"))]
        chosen = about_value or [i for _, i in found]
        messages = dict.fromkeys(i.message for i in chosen)
        first = chosen[0]
        issues.append(SpecIssue("; or ".join(messages), first.layer_id, first.field,
                                first.code, first.params))
    return issues


def _issue_from_error(err: Mapping[str, Any], data: Any) -> SpecIssue:
    loc = list(err.get("loc", ()))
    ctx = err.get("ctx") or {}
    message = str(err.get("msg", "invalid value"))
    code, params = str(err.get("type", "value_error")), plain_params(ctx)
    if code == "union_tag_invalid":
        message = f"unknown layer type {ctx.get('tag')!r}; known types: {ctx.get('expected_tags')}"
        code, params = "unknown_layer_type", {"type": str(ctx.get("tag"))}
    elif code == "union_tag_not_found":
        message = "each layer needs a 'type'"
        code, params = "missing_layer_type", {}
    elif code == "value_error":
        message = message.removeprefix("Value error, ")
    at = _layers_index(loc)
    if at is None:
        return SpecIssue(message, None, ".".join(str(p) for p in loc) or None, code, params)
    layer_id = _layer_id_at(_descend(data, loc[:at]), loc[at + 1])
    # After ("layers", index) comes the type tag once pydantic knows it, then the field,
    # then list indices and union member tags (layer fields are flat: drop the tags).
    rest = loc[at + 3:] if len(loc) > at + 3 else []
    if len(loc) == at + 3 and err.get("type") == "missing":
        rest = [loc[at + 2]]
    path = rest[:1] + [p for p in rest[1:] if isinstance(p, int)]
    return SpecIssue(message, layer_id, ".".join(str(p) for p in path) or None, code, params)


def _layers_index(loc: list[Any]) -> int | None:
    for i in range(len(loc) - 1):
        if loc[i] == "layers" and isinstance(loc[i + 1], int):
            return i
    return None


def _descend(data: Any, path: list[Any]) -> Any:
    for key in path:
        if isinstance(data, Mapping) and key in data:
            data = data[key]
        else:
            return None
    return data


def _layer_id_at(data: Any, index: int) -> str:
    layers = data.get("layers") if isinstance(data, Mapping) else None
    if isinstance(layers, list) and 0 <= index < len(layers):
        layer = layers[index]
        if isinstance(layer, Mapping) and isinstance(layer.get("id"), str):
            return str(layer["id"])
    return f"layers[{index}]"
