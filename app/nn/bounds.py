"""The limits on parameters and activations, as issues naming the layer where a network
crosses each one and the setting that raises it. Tracing refuses a network over them;
validation shows a network over max_params, with the verdict that it is too big to train
here."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.spec import SpecLimits
from app.spec.errors import SpecIssue

if TYPE_CHECKING:
    from app.nn.infer import LayerSummary

# Limits that validation reports instead of refusing. Parameters cost nothing to trace on
# the meta device: a layer's trace is the same whatever its weights. Activations stay
# refused where they cross the limit, so the layers past it are never traced: that keeps
# a stack of hundreds of long, distinct recurrent layers from costing seconds to check.
SHOWN_OVER = frozenset({"max_params"})


def limit_issues(layer: LayerSummary, total_params: int, activation_bytes: int,
                  limits: SpecLimits) -> list[tuple[str, SpecIssue]]:
    """The limits the network crosses once `layer` is added, each as (name, issue)."""
    issues = []
    if total_params > limits.max_params:
        issues.append(("max_params", params_issue(layer.id, total_params, limits)))
    activation_mb = activation_bytes / 2**20
    if activation_mb > limits.max_activation_mb:
        what = "use a smaller input, fewer filters or more pooling"
        if layer.attention_scores:
            scores_mb = layer.attention_scores * 4 / 2**20
            what = (f"attention's score matrices (heads x queries x keys) take "
                    f"{_mib(scores_mb)} MiB of it: use fewer heads or a shorter sequence")
        issues.append(("max_activation_mb", SpecIssue(
            f"activations take about {_mib(activation_mb)} MiB per sample, over the limit "
            f"of {_mib(limits.max_activation_mb)} MiB; {what}, or raise "
            "LAYERLAB_LIMITS__MAX_ACTIVATION_MB", layer.id)))
    return issues


def params_issue(layer_id: str, total: int, limits: SpecLimits) -> SpecIssue:
    return SpecIssue(f"the network reaches {total:,} parameters here, over the limit of "
                     f"{limits.max_params:,}: use fewer units or filters, pool before "
                     "flattening, or raise LAYERLAB_LIMITS__MAX_PARAMS", layer_id)


def over_limits(crossed: dict[str, SpecIssue], total_params: int,
                limits: SpecLimits) -> list[SpecIssue]:
    """A whole network's verdict: where it crosses each shown limit, and by how much."""
    return [SpecIssue(f"too big to train here: the network has {total_params:,} parameters, "
                      f"over the limit of {limits.max_params:,} (max_params), crossed at this "
                      "layer; raise LAYERLAB_LIMITS__MAX_PARAMS to train it", issue.layer_id)
            for name, issue in crossed.items() if name == "max_params"]


def _mib(value: float) -> str:
    return f"{value:,.1f}" if value >= 1 else f"{value:.3g}"
