"""Example request bodies the schema shows beside each model: a small run that trains in
seconds anywhere (a two-layer MLP on the 2-D XOR points, one epoch), its continuation and
a two-trial sweep of it. Docs pages offer them to try, and API testers start from them to
reach real runs."""

from __future__ import annotations

from typing import Any

SMALL_NETWORK: dict[str, Any] = {
    "name": "XOR MLP",
    "input": {"shape": [2]},
    "layers": [
        {"id": "hidden", "type": "dense", "units": 8, "activation": "tanh"},
        {"id": "out", "type": "dense", "units": 2},
    ],
}
SMALL_TRAINING: dict[str, Any] = {
    "dataset": {"name": "xor", "options": {"n_samples": 200}},
    "epochs": 1,
    "batch_size": 32,
}

RUN_CREATE: dict[str, Any] = {"name": "XOR in one epoch", "model": SMALL_NETWORK,
                              "training": SMALL_TRAINING}
RUN_CONTINUE: dict[str, Any] = {"name": "XOR, one more epoch at a lower rate",
                                "training": SMALL_TRAINING | {"epochs": 2,
                                                             "optimizer": {"lr": 0.0005}}}
SWEEP_CREATE: dict[str, Any] = {
    "name": "XOR hidden width",
    "model": SMALL_NETWORK,
    "training": SMALL_TRAINING,
    "sweep": {"method": "grid", "parameters": {"layers.hidden.units": [4, 8]}},
}


def examples(*bodies: dict[str, Any]) -> dict[str, Any]:
    """A model's `json_schema_extra`: the bodies as its JSON schema's `examples`."""
    return {"examples": list(bodies)}
