"""The output's final squash: a softmax or sigmoid that ends the network.

Courses write `Dense(10, activation='softmax')` with cross-entropy and `Dense(1,
activation='sigmoid')` with binary cross-entropy, because their losses take
probabilities. LayerLab's losses take logits: cross_entropy applies the softmax itself,
bce the sigmoid. Fed probabilities, they would squash twice and the network would learn
little (digits reached 43% test accuracy with a softmax output, 90% without). So, as
Keras does, a run whose output layer ends in the squash its loss applies trains on the
logits underneath: the same loss as the course's formula, computed stably. The spec
keeps its softmax; exports keep it too, so an exported model gives probabilities.
"""

from __future__ import annotations

from typing import Literal

from app.nn.infer import Plan
from app.spec.layers.core import ActivationSpec

Squash = Literal["softmax", "sigmoid"]


def final_squash(plan: Plan) -> Squash | None:
    """The softmax (over the output's last axis) or sigmoid the output layer ends in:
    an activation layer, or a layer's `activation` field; None otherwise."""
    layer = plan.spec.layer(plan.spec.layers[-1].id)
    name = getattr(layer, "activation", None)
    if name == "sigmoid":
        return "sigmoid"
    if name != "softmax":
        return None
    if isinstance(layer, ActivationSpec):  # over the last axis: the class scores
        rank = len(plan.summary.output_shape)
        if layer.axis not in (-1, rank - 1):
            return None
    return "softmax"


def logits_notice(plan: Plan, squash: Squash, loss: str) -> str:
    """What a run that trains on the logits tells its user, once, as it starts."""
    layer = plan.spec.layers[-1].id
    return (f"the output layer '{layer}' ends in {squash}, which {loss} applies itself: "
            f"training reads the logits before the {squash} (the same loss, computed "
            f"stably); the network and its exports keep the {squash}")


def squash_note(plan: Plan) -> str | None:
    """For validation, before a loss is chosen: what an output squash will mean."""
    squash = final_squash(plan)
    if squash is None:
        return None
    layer = plan.spec.layers[-1].id
    loss = "cross_entropy" if squash == "softmax" else "bce"
    return (f"the output layer '{layer}' ends in {squash}: with {loss}, which applies the "
            f"{squash} itself, training reads the logits before it (the same loss as "
            f"{loss} on the {squash}'s output, computed stably)")
