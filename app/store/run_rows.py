"""Runs and sweeps as the SQL backend's rows: fields validated and made plain JSON, the
columns kept for sorting and search, the filters and sorts of a query, and rows back to
records."""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import cache
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import ColumnElement, SQLColumnExpression, func, or_

from app.store.base import HEADLINE, TEST_HEADLINE, RunQuery, RunRecord, RunSort, SweepRecord
from app.store.tables import RunRow, SweepRow

RUN_FIELDS = tuple(RunRecord.model_fields)
_JSON_FIELDS = frozenset({"spec", "training", "latest_metrics", "best_metrics", "best_epochs",
                          "test_metrics", "origin"})


@cache
def _adapter(field: str) -> TypeAdapter[Any]:
    annotation = RunRecord.model_fields[field].annotation
    assert annotation is not None  # every RunRecord field is annotated
    return TypeAdapter(annotation)


def encode(field: str, value: Any) -> Any:
    """Validate a value as RunRecord's field would, and make JSON fields plain JSON."""
    adapter = _adapter(field)
    value = adapter.validate_python(value)
    if field in _JSON_FIELDS:
        return finite_json(adapter.dump_python(value, mode="json"))
    return value


def finite_json(value: Any) -> Any:
    """NaN and infinities as strings (strict JSON has no such numbers; PostgreSQL's json
    rejects them); pydantic reads "NaN" and "Infinity" back as floats."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {key: finite_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [finite_json(item) for item in value]
    return value


def derived_columns(fields: dict[str, Any]) -> dict[str, Any]:
    """The columns the runs list sorts, searches and filters by (app.store.tables.RunRow),
    from whichever RunRecord fields are being written."""
    columns: dict[str, Any] = {}
    if "spec" in fields:
        columns["network"] = _plain(fields["spec"])["name"]
    if "training" in fields:
        columns["dataset"] = _plain(fields["training"])["dataset"]["name"]
    if "tags" in fields:
        columns["tag_text"] = " ".join(fields["tags"] or [])
    if "best_metrics" in fields:
        columns["score"] = _first_finite(fields["best_metrics"], HEADLINE)
    if "test_metrics" in fields:
        columns["test_score"] = _first_finite(fields["test_metrics"], TEST_HEADLINE)
    if "started_at" in fields and "finished_at" in fields:
        start, end = fields["started_at"], fields["finished_at"]
        columns["duration_s"] = (None if start is None or end is None
                                 else max(0.0, (end - start).total_seconds()))
    return columns


def _plain(value: Any) -> Any:
    """A spec or training config as a dict, whether a model or one already."""
    return value.model_dump() if hasattr(value, "model_dump") else value


def _first_finite(metrics: dict[str, Any] | None, names: Sequence[str]) -> float | None:
    for name in names:
        value = (metrics or {}).get(name)
        if isinstance(value, int | float) and math.isfinite(value):
            return float(value)
    return None


def run_filters(query: RunQuery) -> list[ColumnElement[bool]]:
    """The query's filters and search words as SQL conditions (all must hold)."""
    conditions: list[ColumnElement[bool]] = []
    if query.status:
        conditions.append(RunRow.status.in_(query.status))
    for column, wanted in ((RunRow.dataset, query.dataset), (RunRow.task, query.task)):
        if wanted is not None:
            conditions.append(column == wanted)
    if query.owners is not None:
        conditions.append(RunRow.owner.in_(query.owners))
    if query.created_after is not None:
        conditions.append(RunRow.created_at >= query.created_after)
    if query.created_before is not None:
        conditions.append(RunRow.created_at < query.created_before)
    for word in query.text.split():
        conditions.append(or_(*(column.icontains(word, autoescape=True) for column in (
            RunRow.name, RunRow.description, RunRow.network, RunRow.dataset,
            RunRow.tag_text))))
    return conditions


def sort_key(sort: RunSort) -> SQLColumnExpression[Any]:
    """The column a sort orders by (text without regard to case)."""
    return {
        "created": RunRow.created_at, "name": func.lower(RunRow.name), "status": RunRow.status,
        "network": func.lower(RunRow.network), "dataset": RunRow.dataset,
        "task": RunRow.task, "epochs": RunRow.epoch, "score": RunRow.score,
        "test": RunRow.test_score, "duration": RunRow.duration_s,
        "tags": func.nullif(RunRow.tag_text, ""),
    }[sort]


def to_record(row: RunRow) -> RunRecord:
    fields = {name: getattr(row, name) for name in RUN_FIELDS}
    for name, empty in (("notes", []), ("tags", []), ("description", ""), ("best_epochs", {})):
        if fields[name] is None:  # runs stored before the field was kept
            fields[name] = empty
    return RunRecord.model_validate(fields)


def to_sweep(row: SweepRow) -> SweepRecord:
    return SweepRecord.model_validate({name: getattr(row, name)
                                       for name in SweepRecord.model_fields})
