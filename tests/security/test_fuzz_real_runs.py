"""Schemathesis on real runs and sweeps, against a real server on loopback.

The schema's own example bodies create a small run and a sweep (an API tester starts
from them too), and the OpenAPI links of those 201 answers lead to every operation that
takes a run or sweep id: each is fuzzed with the id its link reads from the answer, so it
answers about a run that exists rather than a 404. Every operation must be reached (one
answer other than 404 at least), no answer may be a 5xx, and every answer must match the
schema (`positive_data_acceptance` is left out, as in tests/api/test_schema_fuzz.py: a
well-formed network may still not build, and that 422 is the point)."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx2 as httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import positive_data_acceptance

from app.settings import Settings
from tests.conftest import serving
from tests.security.helpers import FINAL

pytestmark = pytest.mark.slow
EXAMPLES = 30  # per operation
PRODUCERS = ("create_run", "create_sweep")
Tally = dict[str, Counter[int]]  # operation id -> answers by status


@pytest.fixture(scope="module")
def fuzzed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server of its own, training one run at a time: the runs that fuzzed continuations
    queue must not delay other tests or crowd the machine."""
    home = tmp_path_factory.mktemp("fuzz-runs") / "home"
    with serving(Settings(home=home, max_concurrent_runs=1)) as url:
        yield url


def resolve(expression: str, body: Any) -> Any:
    """The value a link's `$response.body#/pointer` names in an answer's body."""
    prefix = "$response.body#"
    assert expression.startswith(prefix), f"a link this test cannot follow: {expression}"
    value = body
    for token in filter(None, expression[len(prefix):].split("/")):
        value = value[int(token)] if isinstance(value, list) else value[token]
    return value


def body_examples(schema: Any, operation: Any) -> list[Any]:
    """The examples of an operation's JSON body model (none for an operation without one)."""
    content = operation.definition.raw.get("requestBody", {}).get("content", {})
    reference = content.get("application/json", {}).get("schema", {}).get("$ref", "")
    model = schema.raw_schema["components"]["schemas"].get(reference.rsplit("/", 1)[-1], {})
    return list(model.get("examples", []))


def create(schema: Any, operation_id: str) -> tuple[dict[str, Any], Any]:
    """Send the first example of the producing operation's body to it (a 201)."""
    operation = schema.find_operation_by_id(operation_id)
    examples = body_examples(schema, operation)
    assert examples, f"{operation_id}: its body model shows no example"
    response = operation.Case(body=examples[0]).call_and_validate(
        excluded_checks=[positive_data_acceptance])
    assert response.status_code == 201, response.text
    return operation.definition.raw["responses"]["201"]["links"], response.json()


def wait_until_over(base_url: str, run_id: str, timeout: float = 300) -> None:
    """Wait until the run has ended, so its inspect views have weights to look at."""
    deadline = time.monotonic() + timeout
    while (status := httpx.get(f"{base_url}/api/v1/runs/{run_id}").json()["status"]) \
            not in FINAL:
        assert time.monotonic() < deadline, f"the example run is still {status}"
        time.sleep(0.05)
    assert status == "completed", status


def inapplicable_views(schema: Any, base_url: str, run_id: str) -> set[str]:
    """The inspect operations whose view does not apply to the run (its GET /inspect)."""
    listed = httpx.get(f"{base_url}/api/v1/runs/{run_id}/inspect").json()["views"]
    applicable = {f"/api/v1/runs/{{run_id}}/inspect/{view['name']}" for view in listed}
    return {op.definition.raw["operationId"] for op in
            (result.ok() for result in schema.get_all_operations())
            if op.path.startswith("/api/v1/runs/{run_id}/inspect/") and
            op.path not in applicable}


def fuzz(schema: Any, operation_id: str, path_parameters: dict[str, Any],
         tally: Tally, inapplicable: set[str]) -> None:
    """The examples of its body, then EXAMPLES generated cases (positive and negative), of
    one operation with its path fixed."""
    operation = schema.find_operation_by_id(operation_id)
    answers = tally.setdefault(operation_id, Counter())
    for example in body_examples(schema, operation):
        case = operation.Case(path_parameters=path_parameters, body=example)
        response = case.call(timeout=60)
        answers[response.status_code] += 1
        expected = 422 if operation_id in inapplicable else 299
        assert response.status_code <= expected, f"{operation_id}'s example: {response.text}"
        case.validate_response(response, excluded_checks=[positive_data_acceptance])
    cases = st.one_of(*(operation.as_strategy(mode, path_parameters=path_parameters)
                        for mode in schemathesis.GenerationMode))

    @given(case=cases)
    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def check(case: schemathesis.Case) -> None:
        response = case.call(timeout=60)
        answers[response.status_code] += 1
        case.validate_response(response, excluded_checks=[positive_data_acceptance])

    check()


def deletions_last(links: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The links in the order to follow them: a deletion would turn the rest into 404s."""
    return sorted(links.items(), key=lambda item: item[0].startswith("delete_"))


def test_fuzzing_reaches_real_runs_and_sweeps(fuzzed_server: str,
                                              record_property: pytest.RecordProperty
                                              ) -> None:
    schema = schemathesis.openapi.from_url(f"{fuzzed_server}/openapi.json")
    linked = {target for producer in PRODUCERS
              for target in schema.find_operation_by_id(producer).definition.raw[
                  "responses"]["201"]["links"]}
    with_ids = {op.definition.raw["operationId"] for op in
                (result.ok() for result in schema.get_all_operations())
                if {"run_id", "sweep_id"} & {p.name for p in op.path_parameters}}
    assert linked == with_ids, f"not linked: {with_ids - linked}"
    tally: Tally = {}
    for producer in PRODUCERS:
        links, created = create(schema, producer)
        inapplicable: set[str] = set()
        if producer == "create_run":
            wait_until_over(fuzzed_server, created["id"])
            inapplicable = inapplicable_views(schema, fuzzed_server, created["id"])
        for target, link in deletions_last(links):
            parameters = {name: resolve(expression, created)
                          for name, expression in link["parameters"].items()}
            fuzz(schema, target, parameters, tally, inapplicable)
    unreached = sorted(op for op, answers in tally.items() if not set(answers) - {404})
    server_errors = {op: n for op, answers in tally.items()
                     if (n := sum(c for s, c in answers.items() if s >= 500))}
    calls = sum(sum(answers.values()) for answers in tally.values())
    real = sum(c for answers in tally.values() for s, c in answers.items() if s != 404)
    record_property("detail", f"{len(tally) - len(unreached)} of {len(with_ids)} run and "
                              f"sweep operations reached a real one; {calls} calls, {real} "
                              f"not 404; {sum(server_errors.values())} x 5xx")
    assert not unreached, f"only ever 404: {unreached}"
    assert not server_errors, server_errors
