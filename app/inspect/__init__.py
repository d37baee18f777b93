"""Inspection: pure functions of (model, data) that return arrays for the API and the UI."""

from app.inspect.activations import ActivationsOut, activations
from app.inspect.arrays import InspectError, decode, encode, from_png
from app.inspect.attention import AttentionOut, WorkedAttention, attention, worked_attention
from app.inspect.boundary import boundary
from app.inspect.confusion import ConfusionOut, confusion
from app.inspect.convolution import worked_convolution
from app.inspect.embedding import EmbeddingOut, embedding
from app.inspect.filters import FiltersOut, filters
from app.inspect.histograms import EpochHistograms, parameter_histograms
from app.inspect.outputs import OutputKind
from app.inspect.predict import PredictOut, predict
from app.inspect.reconstruction import ReconstructionsOut, reconstructions
from app.inspect.saliency import SaliencyOut, saliency

__all__ = [
    "ActivationsOut", "AttentionOut", "ConfusionOut", "EmbeddingOut", "EpochHistograms",
    "FiltersOut", "InspectError", "OutputKind", "PredictOut", "ReconstructionsOut", "SaliencyOut",
    "WorkedAttention", "activations", "attention", "boundary", "confusion", "decode",
    "embedding", "encode", "filters", "from_png", "parameter_histograms",
    "predict", "reconstructions", "saliency", "worked_attention", "worked_convolution",
]
