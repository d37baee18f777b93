"""LayerLab: a neural network playground built on PyTorch."""

__version__ = "0.1.0"
