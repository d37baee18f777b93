"""The Python client for a LayerLab server (`app.client.lab`) and its sweeps."""

from app.client.lab import MAX_MESSAGE_BYTES, LayerLab, LayerLabError, Run, decode_array
from app.client.sweeps import Sweep

__all__ = ["MAX_MESSAGE_BYTES", "LayerLab", "LayerLabError", "Run", "Sweep", "decode_array"]
