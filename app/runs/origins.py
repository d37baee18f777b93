"""Runs that start from another run's weights: transfer learning (`init_from`) and an
edited continuation of a paused or finished run. The weights a new run takes are
matched here, reported in its origin, and saved in its folder before it is queued."""

from __future__ import annotations

from pathlib import Path

import torch
from safetensors.torch import save_file

from app.nn import build
from app.nn.transfer import Matched, match_weights
from app.runs.worker import INIT_WEIGHTS
from app.spec import NetworkSpec, SpecLimits
from app.spec.origin import RunOrigin


class OriginError(ValueError):
    """The weights asked for cannot start this run (an API 422 that says why)."""


def match_into(spec: NetworkSpec, source: dict[str, torch.Tensor], source_name: str,
               limits: SpecLimits | None = None) -> Matched:
    """The source's tensors that fit `spec`, layer by layer; OriginError when none does."""
    shapes = {k: tuple(v.shape) for k, v in build(spec, limits, device="meta").state_dict().items()}
    matched = match_weights(shapes, source, [layer.id for layer in spec.layers])
    if not matched.loaded:
        reasons = "; ".join(f"{s.layer}: {s.reason}" for s in matched.skipped[:6])
        raise OriginError(f"no layer of this network matches {source_name} by id and shape "
                          f"({reasons or 'it has no weights'}): keep the layer ids and sizes "
                          "of the layers whose weights you want")
    return matched


def save_start(run_dir: Path, matched: Matched) -> None:
    """The new run's first weights, where its worker looks for them."""
    run_dir.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in matched.state.items()}, run_dir / INIT_WEIGHTS)


def origin_of(matched: Matched, **fields: object) -> RunOrigin:
    return RunOrigin.model_validate({**fields, "loaded": matched.loaded,
                                     "skipped": [s.model_dump() for s in matched.skipped]})
