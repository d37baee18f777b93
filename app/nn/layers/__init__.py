"""Builders for every layer type; importing this package registers them all."""

from app.nn.layers import conv, core, generative, merge, norm, sequence

__all__ = ["conv", "core", "generative", "merge", "norm", "sequence"]
