"""OpenAPI links: the answer of an operation that creates a run (or a sweep) says which
operations take its id next, and where in the answer the id is. Clients and API testers
follow them from a new run to its metrics, inspect views, controls and deletion.

The links are derived from the paths once the schema is built, so a new operation under
/runs/{run_id} is linked the moment it is routed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI

HTTP_METHODS = ("get", "put", "post", "delete", "patch")


@dataclass(frozen=True)
class Producer:
    """An operation whose answer (with `status`) holds the id a path parameter takes."""

    operation_id: str
    status: str
    parameter: str  # the path parameter the id fills, e.g. run_id
    pointer: str  # where the id is in the answer's body (JSON pointer)


PRODUCERS = (
    Producer("create_run", "201", "run_id", "/id"),
    Producer("continue_run", "201", "run_id", "/id"),
    Producer("create_sweep", "201", "sweep_id", "/id"),
)


def link_operations(schema: dict[str, Any]) -> dict[str, Any]:
    """Add to each producer's answer a link to every operation whose path takes its id."""
    operations = {op["operationId"]: (op, path) for path, item in schema["paths"].items()
                  for method, op in item.items() if method in HTTP_METHODS}
    for producer in PRODUCERS:
        if producer.operation_id not in operations:
            continue
        source, _ = operations[producer.operation_id]
        answer = source["responses"][producer.status]
        links = answer.setdefault("links", {})
        for target_id, (target, path) in operations.items():
            if "{" + producer.parameter + "}" not in path:
                continue
            links[target_id] = {
                "operationId": target_id,
                "parameters": {producer.parameter: f"$response.body#{producer.pointer}"},
                "description": f"{target.get('summary', target_id)}: the `{producer.parameter}`"
                               f" is the `{producer.pointer.lstrip('/')}` of this answer.",
            }
    return schema


def serve_linked_schema(app: FastAPI) -> None:
    """Make app.openapi() add the links to the schema FastAPI builds (once, then cached)."""
    build: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = link_operations(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
