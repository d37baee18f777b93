"""A VAE's latent views against hand-set weights: the encoder means, a decoder run alone
on given codes, the grid over the latent plane and the line between two samples."""

from __future__ import annotations

import pytest
import torch

from app.inspect import InspectError, decode
from app.inspect.latent import (
    decode_codes,
    encoder_means,
    grid_codes,
    interpolation_codes,
    latent_points,
    sampling_layer,
)
from app.nn import build
from app.nn.graph_module import GraphNet
from app.spec import parse_network


@pytest.fixture
def identity_vae() -> GraphNet:
    """mean = x, log-variance = 0, output = z: every map is the identity."""
    model = build(parse_network({"input": {"shape": [2]}, "layers": [
        {"id": "mu", "type": "dense", "units": 2},
        {"id": "log_var", "type": "dense", "units": 2, "inputs": ["input"]},
        {"id": "z", "type": "sampling", "inputs": ["mu", "log_var"]},
        {"id": "out", "type": "dense", "units": 2}]}))
    with torch.no_grad():
        for name, param in model.named_parameters():
            if name.endswith("weight"):
                param.copy_(torch.eye(2) if not name.startswith("log_var") else torch.zeros(2, 2))
            else:
                param.zero_()
    return model


def test_the_means_are_the_encoders_and_decoding_runs_the_decoder_alone(
        identity_vae: GraphNet) -> None:
    x = torch.tensor([[1.0, 2.0], [-3.0, 0.5]])
    assert torch.equal(encoder_means(identity_vae, x), x)
    codes = torch.tensor([[0.25, -1.0], [4.0, 4.0]])
    decoded = decode_codes(identity_vae, codes, squash=False)
    assert decoded.layer == "z" and not decoded.squashed
    assert torch.allclose(decode(decoded.images), codes, atol=1e-2)  # float16 on the wire
    squashed = decode(decode_codes(identity_vae, codes, squash=True).images)
    assert torch.allclose(squashed, torch.sigmoid(codes), atol=1e-3)


def test_latent_points_carry_the_labels(identity_vae: GraphNet) -> None:
    x, y = torch.randn(50, 2), torch.arange(50) % 3
    out = latent_points(identity_vae, x, y, samples=20)
    assert torch.equal(decode(out.points), x[:20])
    assert out.labels == (torch.arange(20) % 3).tolist()
    assert latent_points(identity_vae, x, torch.randn(50, 1)).labels is None  # regression


def test_the_grid_goes_across_then_down_and_the_line_joins_the_ends() -> None:
    grid = grid_codes(3, 3, 2.0)
    assert grid.shape == (9, 3)
    assert grid[0].tolist() == [-2.0, 2.0, 0.0] and grid[2].tolist() == [2.0, 2.0, 0.0]
    assert grid[-1].tolist() == [2.0, -2.0, 0.0]
    line = interpolation_codes(torch.tensor([0.0, 1.0]), torch.tensor([4.0, -1.0]), 5)
    assert line.tolist() == [[0, 1], [1, 0.5], [2, 0], [3, -0.5], [4, -1]]
    with pytest.raises(InspectError, match="steps: 2 to"):
        grid_codes(2, 100, 1.0)
    with pytest.raises(InspectError, match="at least 2 latent dimensions"):
        grid_codes(1, 5, 1.0)


def test_a_network_without_a_sampling_layer_is_refused() -> None:
    plain = build(parse_network({"input": {"shape": [2]}, "layers": [
        {"id": "out", "type": "dense", "units": 2}]}))
    with pytest.raises(InspectError, match="needs a VAE"):
        sampling_layer(plain)
