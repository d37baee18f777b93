"""Specs at and just past every bound, found from the schemas the API itself publishes
(GET /layers, /openapi.json) and from SpecLimits: nothing is listed per layer type.

At a bound a spec is never a 5xx: it is accepted, or refused for another reason (a
kernel larger than the input, too many parameters), never for that field's bound.
Just past it, the answer is a 422 that names the layer and the field."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.spec import LAYER_TYPES, SpecLimits
from app.spec.base import NETWORK_INPUT
from tests.security.helpers import API, Lab

PROBE = "probe"
Json = dict[str, Any]
# Networks a layer under test may sit in, tried in order: a vector, a sequence (or a
# 1-D signal), an image, token ids, a volume. A merge layer reads branches p0, p1, ...
HOSTS: list[Json] = [
    {"shape": [8]},
    {"shape": [8, 16]},
    {"shape": [4, 8, 8]},
    {"shape": [8], "dtype": "token", "vocab_size": 16},
    {"shape": [2, 4, 8, 8]},
]
SMALL = (8, 4, 16, 2, 1, 0)  # plausible values tried for a required field, in order
SCHEMA_REJECTION = ("should be", "should have")  # pydantic's words for a violated bound


@dataclass(frozen=True)
class Bound:
    field: str
    rule: str  # e.g. "minimum=1" or "items.maxItems=6"
    at: Any  # the field's value on the bound (still valid as far as the bound goes)
    past: Any  # just past it


def _resolve(node: Json, root: Json) -> Json:
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        for part in ref[2:].split("/"):
            root = root[part]
        return _resolve(root, root)
    return node


def _numbers(schema: Json, integer: bool) -> Iterator[tuple[str, Any, Any]]:
    """(keyword, at, past) for each numeric bound of one number schema."""
    def num(value: float) -> float:
        return int(value) if integer else float(value)

    def step(value: float, direction: int) -> float:
        return value + direction if integer else math.nextafter(value, direction * math.inf)

    for keyword, direction in (("minimum", -1), ("maximum", 1)):
        if keyword in schema:
            bound = num(schema[keyword])
            yield f"{keyword}={bound}", bound, step(bound, direction)
    for keyword, direction in (("exclusiveMinimum", 1), ("exclusiveMaximum", -1)):
        if keyword in schema:
            bound = num(schema[keyword])
            yield f"{keyword}={bound}", step(bound, direction), bound


def sample(schema: Json, root: Json, small: int) -> Any:
    """A valid value of `schema` close to `small` (None when it cannot make one)."""
    schema = _resolve(schema, root)
    if "default" in schema and schema["default"] is not None:
        return schema["default"]
    if "enum" in schema:
        return schema["enum"][0]
    if "anyOf" in schema:
        for member in schema["anyOf"]:
            value = sample(member, root, small)
            if value is not None:
                return value
        return None
    kind = schema.get("type")
    if kind in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum", -math.inf))
        high = schema.get("maximum", schema.get("exclusiveMaximum", math.inf))
        value = min(max(small, low), high)
        return int(value) if kind == "integer" else float(value)
    if kind == "boolean":
        return False
    if kind == "array":
        if "prefixItems" in schema:
            return [sample(item, root, small) for item in schema["prefixItems"]]
        return [sample(schema.get("items", {}), root, small)] * max(1, schema.get("minItems", 1))
    return None


def bounds_of(field: str, schema: Json, root: Json) -> list[Bound]:
    """Every bound reachable in one field's schema, with values at and past it."""
    schema = _resolve(schema, root)
    found: list[Bound] = []
    for member in schema.get("anyOf", [schema]):
        member = _resolve(member, root)
        kind = member.get("type")
        if kind in ("integer", "number"):
            found += [Bound(field, rule, at, past)
                      for rule, at, past in _numbers(member, kind == "integer")]
        elif kind == "array":
            items = member.get("prefixItems") or [member.get("items", {})]
            arity = len(items) if "prefixItems" in member else 1
            for item in items:
                item = _resolve(item, root)
                if item.get("type") in ("integer", "number"):
                    for rule, at, past in _numbers(item, item["type"] == "integer"):
                        found.append(Bound(field, f"items.{rule}", [at] * arity,
                                           [past] * arity))
            base = sample(member, root, 1)
            filler = base[0] if base and base[0] is not None else NETWORK_INPUT  # ids
            if "maxItems" in member:
                most = int(member["maxItems"])
                found.append(Bound(field, f"maxItems={most}", [filler] * most,
                                   [filler] * (most + 1)))
            if int(member.get("minItems", 0)) > 0:
                least = int(member["minItems"])
                found.append(Bound(field, f"minItems={least}", [filler] * least,
                                   [filler] * (least - 1)))
    return found


def network(host: Json, layer: Json, min_inputs: int) -> Json:
    """The layer in a host network; one that needs several inputs reads copies of it."""
    count = min_inputs if min_inputs > 1 and "inputs" not in layer else 0
    branches = [{"id": f"p{i}", "type": "activation", "activation": "linear",
                 "inputs": [NETWORK_INPUT]} for i in range(count)]
    if branches:
        layer = {**layer, "inputs": [b["id"] for b in branches]}
    return {"name": "bounds", "input": host, "layers": [*branches, layer]}


def validate(client: TestClient, spec: Json) -> tuple[int, list[Json]]:
    response = client.post(f"{API}/specs/validate", json=spec)
    assert response.status_code < 500, (response.status_code, spec, response.text[:500])
    body = response.json()
    return response.status_code, body.get("errors", []) if response.status_code != 200 else []


def _names(issue: Json, field: str, layer_id: str | None) -> bool:
    named = issue.get("field") or ""
    return issue.get("layer_id") == layer_id and (named == field or
                                                  named.startswith(f"{field}."))


def check_bound(client: TestClient, bound: Bound, make: Callable[[Any], Json],
                layer_id: str | None, field: str) -> str:
    """Assert both sides of one bound; returns how the value on the bound was taken."""
    status, issues = validate(client, make(bound.at))
    assert status in (200, 422), status
    refused = [i for i in issues if _names(i, field, layer_id)
               and any(word in i["message"] for word in SCHEMA_REJECTION)]
    assert not refused, f"{field} {bound.rule}: {bound.at!r} is on the bound: {refused}"
    status_past, issues_past = validate(client, make(bound.past))
    assert status_past == 422, f"{field} {bound.rule}: {bound.past!r} was accepted"
    assert any(_names(i, field, layer_id) for i in issues_past), (
        f"{field} {bound.rule}: {bound.past!r} refused without naming it: {issues_past}")
    return "accepted" if status == 200 else "other-cause"


@pytest.fixture(scope="module")
def catalog(lab: Lab) -> dict[str, Json]:
    response = lab.client.get(f"{API}/layers")
    assert response.status_code == 200
    return {entry["type"]: entry for entry in response.json()}


def test_catalog_lists_every_layer_type(catalog: dict[str, Json]) -> None:
    """GET /layers publishes a schema for every layer type the spec accepts."""
    assert set(catalog) == set(LAYER_TYPES)
    assert all(entry["schema"].get("properties") for entry in catalog.values())


def base_layer(client: TestClient, entry: Json) -> tuple[Json, Json]:
    """A host and a layer of this type (required fields filled) that validate as they are."""
    schema = entry["schema"]
    required = [f for f in schema.get("required", []) if f not in ("id", "type")]
    for host in HOSTS:
        for small in SMALL:
            layer = {"id": PROBE, "type": entry["type"]}
            layer |= {f: sample(schema["properties"][f], schema, small) for f in required}
            if validate(client, network(host, layer, entry["min_inputs"]))[0] == 200:
                return host, layer
    raise AssertionError(f"no host in HOSTS takes a {entry['type']} layer; add one")


@pytest.mark.parametrize("layer_type", list(LAYER_TYPES))
def test_layer_fields_at_and_past_their_bounds(lab: Lab, catalog: dict[str, Json],
                                               layer_type: str,
                                               record_property: pytest.RecordProperty) -> None:
    """Each bounded field of this layer type: on the bound never refused for it, past -> 422."""
    entry = catalog[layer_type]
    schema = entry["schema"]
    host, layer = base_layer(lab.client, entry)
    outcomes: dict[str, int] = {"accepted": 0, "other-cause": 0}
    checked = 0
    for field, field_schema in schema["properties"].items():
        if field in ("id", "type"):
            continue
        for bound in bounds_of(field, field_schema, schema):
            def make(value: Any, field: str = field) -> Json:
                return network(host, {**layer, field: value}, entry["min_inputs"])
            outcomes[check_bound(lab.client, bound, make, PROBE, field)] += 1
            checked += 1
    assert checked >= 2, f"{layer_type}: only {checked} bounds found"  # `inputs` has two
    record_property("detail", f"{checked} bounds in {host['shape']}: on the bound "
                              f"{outcomes['accepted']} accepted, {outcomes['other-cause']} "
                              "refused for another cause; past every one 422")


def test_input_fields_at_and_past_their_bounds(lab: Lab,
                                               record_property: pytest.RecordProperty) -> None:
    """The network input's shape and vocab_size bounds, from the OpenAPI InputSpec schema."""
    root = lab.client.get("/openapi.json").json()
    schema = root["components"]["schemas"]["InputSpec"]
    float_net: Json = {"input": {"shape": [8]}, "layers": [{"id": "a", "type": "activation"}]}
    token_net: Json = {"input": {"shape": [8], "dtype": "token", "vocab_size": 16},
                       "layers": [{"id": "e", "type": "embedding", "dim": 4}]}
    checked = []
    for field, field_schema in schema["properties"].items():
        base = next(n for n in (float_net, token_net) if field in n["input"])
        for bound in bounds_of(field, field_schema, root):
            def make(value: Any, field: str = field, base: Json = base) -> Json:
                return {**base, "input": {**base["input"], field: value}}
            check_bound(lab.client, bound, make, None, f"input.{field}")
            checked.append(f"{field} {bound.rule}")
    assert {"shape items.minimum=1", "shape items.maximum=65536", "shape maxItems=4",
            "vocab_size minimum=2", "vocab_size maximum=1000000"} <= set(checked), checked
    record_property("detail", f"{len(checked)} input bounds: {', '.join(checked)}")


def _shape_near(elements: int) -> list[int]:
    """A shape (each side <= 65536, at most 4 sides) holding the fewest values >= elements."""
    for total in range(elements, elements + 10_000):
        for side in range(max(1, total // 65536), 65537):
            if total % side == 0 and total // side <= 65536:
                return [side, total // side]
    raise AssertionError(f"no 2-D shape near {elements}")


def _params_case(limits: SpecLimits) -> tuple[Json, Json, str]:
    """A dense layer reaching exactly max_params ((n + 1) * units), and one unit more."""
    total = limits.max_params
    units = next(u for u in range(min(65536, total), 0, -1)
                 if total % u == 0 and 1 <= total // u - 1 <= 65536)
    spec = {"input": {"shape": [total // units - 1]},
            "layers": [{"id": "big", "type": "dense", "units": units}]}
    more = {**spec, "layers": [{"id": "big", "type": "dense", "units": units + 1}]}
    return spec, more, "big"


def _activation_case(limits: SpecLimits) -> tuple[Json, Json, str]:
    """A same-padded conv2d whose feature maps (plus the input) fill the activation budget
    exactly, and one filter more."""
    per_map = 256 * 256 * 4 / 2**20  # MiB per 256x256 float map
    filters = int(limits.max_activation_mb / per_map) - 1
    assert 1 <= filters <= 4096, f"pick another image size for a {limits.max_activation_mb} cap"
    def spec(count: int) -> Json:
        return {"input": {"shape": [1, 256, 256]}, "layers": [
            {"id": "wide", "type": "conv2d", "filters": count, "kernel_size": 1}]}
    return spec(filters), spec(filters + 1), "wide"


def _layers_case(limits: SpecLimits) -> tuple[Json, Json, str | None]:
    def spec(count: int) -> Json:
        return {"input": {"shape": [2]}, "layers": [
            {"id": f"l{i}", "type": "activation", "activation": "linear"} for i in range(count)]}
    return spec(limits.max_layers), spec(limits.max_layers + 1), None


def _input_case(limits: SpecLimits) -> tuple[Json, Json, str | None]:
    layers = [{"id": "a", "type": "activation"}]
    at = _shape_near(limits.max_input_elements)
    assert math.prod(at) == limits.max_input_elements
    return ({"input": {"shape": at}, "layers": layers},
            {"input": {"shape": _shape_near(limits.max_input_elements + 1)}, "layers": layers},
            None)


LIMIT_CASES: dict[str, Callable[[SpecLimits], tuple[Json, Json, str | None]]] = {
    "max_layers": _layers_case,
    "max_params": _params_case,
    "max_activation_mb": _activation_case,
    "max_input_elements": _input_case,
}


# Bounds that need a batch size, checked at run creation (tests/reliability/test_memory_bounds.py).
RUN_LIMITS = {"max_batch_activation_mb"}
# Bounds on what trains, not on what is shown: past one, validation reports the network
# as not trainable here, and building it (a run, an export) is the 422.
SHOWN_LIMITS = {"max_params"}


def test_every_spec_limit_has_a_case() -> None:
    """A limit added to SpecLimits later must get an at/past case here."""
    assert set(LIMIT_CASES) | RUN_LIMITS == set(SpecLimits.model_fields)


@pytest.mark.parametrize("limit", list(LIMIT_CASES))
def test_network_limit_at_and_past(lab: Lab, limit: str,
                                   record_property: pytest.RecordProperty) -> None:
    """A network exactly at a SpecLimits bound validates; one step past it is a 422 saying
    so (for a bound on what trains, validation says it is not trainable here, and an
    export, which builds it, is the 422)."""
    limits: SpecLimits = lab.app.state.settings.limits
    at, past, layer_id = LIMIT_CASES[limit](limits)
    response = lab.client.post(f"{API}/specs/validate", json=at)
    assert response.status_code == 200, response.text[:500]
    summary = response.json()
    assert summary["trainable"] is True
    check = "validate"
    if limit in SHOWN_LIMITS:
        shown = lab.client.post(f"{API}/specs/validate", json=past)
        assert shown.status_code == 200, shown.text[:300]
        assert shown.json()["trainable"] is False
        assert [i["layer_id"] for i in shown.json()["over_limits"]] == [layer_id]
        check = "export/pytorch"
    refused = lab.client.post(f"{API}/specs/{check}", json=past)
    assert refused.status_code == 422, refused.text[:300]
    issues = refused.json()["errors"]
    assert any("limit" in i["message"] and (layer_id is None or i["layer_id"] == layer_id)
               for i in issues), issues
    record_property("detail", f"{getattr(limits, limit):,} {limit}: at -> 200 "
                              f"({summary['total_params']:,} params, "
                              f"{summary['activation_mb']} MiB), past -> {check} 422: "
                              f"{issues[0]['message'][:80]}")
