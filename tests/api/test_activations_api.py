"""Each activation function and its derivative through the API: every activation a layer
can name is there, computed by PyTorch (the values match torch's own functions and the
derivatives' closed forms), and a lesson names the ones it draws."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
import torch.nn.functional as F
from fastapi.testclient import TestClient
from pydantic import ValidationError

from app.spec.lessons import LessonSpec

API = "/api/v1"
LESSON_3 = Path(__file__).resolve().parents[2] / "models" / "lessons" / "03-activations.json"
POINTS = (-4.0, -1.5, -0.05, 0.0, 0.05, 0.5, 2.0, 4.5)
Fn = Callable[[torch.Tensor], torch.Tensor]


def pair_first(function: Fn) -> Fn:
    """A function of an axis (softmax) applied to [x, 0], its first output."""
    return lambda x: function(torch.stack([x, torch.zeros_like(x)], dim=-1))[..., 0]


# f from torch.nn.functional, f' in closed form: oracles apart from the server's modules
ORACLES: dict[str, tuple[Fn, Fn]] = {
    "relu": (F.relu, lambda x: (x > 0).float()),
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.01), lambda x: torch.where(x > 0, 1.0, 0.01)),
    "sigmoid": (torch.sigmoid, lambda x: torch.sigmoid(x) * (1 - torch.sigmoid(x))),
    "tanh": (torch.tanh, lambda x: 1 - torch.tanh(x) ** 2),
    "softmax": (pair_first(lambda z: F.softmax(z, dim=-1)),
                lambda x: torch.sigmoid(x) * (1 - torch.sigmoid(x))),
    "log_softmax": (pair_first(lambda z: F.log_softmax(z, dim=-1)),
                    lambda x: 1 - torch.sigmoid(x)),
    "elu": (F.elu, lambda x: torch.where(x > 0, 1.0, torch.exp(x))),
    "selu": (F.selu, lambda x: 1.0507009873554805 * torch.where(
        x > 0, 1.0, 1.6732632423543772 * torch.exp(x))),
    "gelu": (F.gelu, lambda x: 0.5 * (1 + torch.erf(x / 2**0.5))
             + x * torch.exp(-x**2 / 2) / (2 * torch.pi) ** 0.5),
    "swish": (F.silu, lambda x: torch.sigmoid(x) * (1 + x * (1 - torch.sigmoid(x)))),
    "silu": (F.silu, lambda x: torch.sigmoid(x) * (1 + x * (1 - torch.sigmoid(x)))),
    "softplus": (F.softplus, torch.sigmoid),
    "linear": (lambda x: x, torch.ones_like),
}


@pytest.fixture(scope="module")
def curves(client: TestClient) -> dict[str, Any]:
    answer: dict[str, Any] = client.get(f"{API}/activations").json()
    return answer


def by_name(curves: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {curve["name"]: curve for curve in curves["activations"]}


def catalog_activations(client: TestClient) -> set[str]:
    """Every name a layer's `activation` field takes, read from the layer catalog."""
    names: set[str] = set()
    for layer in client.get(f"{API}/layers").json():
        field = layer["schema"]["properties"].get("activation")
        if field is None:
            continue
        for option in [field, *field.get("anyOf", [])]:
            ref = option.get("$ref", "").split("/")[-1]
            names |= set(option.get("enum", layer["schema"].get("$defs", {}).get(ref, {})
                                    .get("enum", [])))
    return names


def test_every_activation_of_the_catalog_is_drawn(client: TestClient,
                                                   curves: dict[str, Any]) -> None:
    names = catalog_activations(client)
    assert {"sigmoid", "tanh", "relu", "leaky_relu", "softmax", "gelu"} <= names
    assert set(by_name(curves)) == names
    x = curves["x"]
    assert len(x) == 201 and x[0] == -5.0 and x[-1] == 5.0 and x[100] == 0.0
    for curve in curves["activations"]:
        assert len(curve["f"]) == len(curve["df"]) == len(x), curve["name"]
    forms = {curve["name"]: curve["form"] for curve in curves["activations"]}
    assert forms["softmax"] == forms["log_softmax"] == "first_of_pair"
    assert forms["sigmoid"] == forms["relu"] == "elementwise"
    assert curves["negative_slope"] == 0.01


def test_values_match_torch_at_a_few_points(curves: dict[str, Any],
                                            record_property: Callable[[str, object], None]) -> None:
    x = curves["x"]
    drawn = by_name(curves)
    assert set(drawn) == set(ORACLES)
    worst = 0.0
    for name, (f, df) in ORACLES.items():
        for point in POINTS:
            at = x.index(point)
            value = torch.tensor(x[at])
            for got, want in ((drawn[name]["f"][at], f(value)), (drawn[name]["df"][at], df(value))):
                assert got == pytest.approx(float(want), abs=2e-6), (name, point)
                worst = max(worst, abs(got - float(want)))
    record_property("detail", f"{len(ORACLES)} activations x {len(POINTS)} points, f and f' "
                              f"within {worst:.1e} of torch.nn.functional and closed forms")


def test_the_sigmoid_slope_peaks_at_a_quarter_and_relu_s_is_zero_or_one(
        curves: dict[str, Any]) -> None:
    x = curves["x"]
    drawn = by_name(curves)
    sigmoid = drawn["sigmoid"]["df"]
    assert max(sigmoid) == 0.25 and x[sigmoid.index(0.25)] == 0.0
    assert drawn["softmax"]["df"] == sigmoid  # the two-class softmax is the sigmoid
    assert max(drawn["tanh"]["df"]) == 1.0
    relu = drawn["relu"]["df"]
    assert set(relu) == {0.0, 1.0}
    assert all(slope == (1.0 if point > 0 else 0.0) for point, slope in zip(x, relu, strict=True))
    assert set(drawn["leaky_relu"]["df"]) == {0.01, 1.0}


def test_lesson_3_names_the_activations_it_draws(client: TestClient,
                                                  curves: dict[str, Any]) -> None:
    for lang in ("en", "es"):
        lesson = client.get(f"{API}/lessons/activations", params={"lang": lang}).json()
        assert lesson["activations"] == ["sigmoid", "tanh", "relu"]
    assert set(lesson["activations"]) <= set(by_name(curves))
    assert client.get(f"{API}/lessons/xor").json()["activations"] == []


@pytest.mark.parametrize(("names", "says"), [
    (["sigmoid", "sigmoidd"], "activations.1"),
    (["tanh", "tanh"], "activations repeat"),
])
def test_a_lesson_drawing_an_unknown_or_repeated_activation_does_not_load(
        names: list[str], says: str) -> None:
    data = json.loads(LESSON_3.read_text(encoding="utf-8"))
    with pytest.raises(ValidationError, match=says):
        LessonSpec.model_validate({**data, "activations": names})


def test_leaky_relu_is_drawn_with_the_slope_an_activation_layer_sets(client: TestClient) -> None:
    answer = client.get(f"{API}/activations", params={"negative_slope": 0.2}).json()
    leaky = by_name(answer)["leaky_relu"]
    assert answer["negative_slope"] == 0.2
    assert set(leaky["df"]) == {0.2, 1.0} and leaky["f"][0] == pytest.approx(-1.0)
    assert by_name(answer)["relu"] == by_name(client.get(f"{API}/activations").json())["relu"]


def test_a_slope_out_of_range_is_refused_naming_it(client: TestClient) -> None:
    answer = client.get(f"{API}/activations", params={"negative_slope": 2})
    assert answer.status_code == 422
    (error,) = answer.json()["errors"]
    assert error["field"] == "query.negative_slope"
    assert error["message"] == "Input should be less than or equal to 1"
