"""Inspect views: the registry (`VIEWS`, `view`, `views_for`) and every view, declared
once each. Importing this package registers them all."""

from app.runs.facts import RunFacts
from app.runs.views import inputs, splits, translation, units, weights
from app.runs.views.registry import VIEWS, AtEpoch, Look, View, view, views_for

__all__ = ["VIEWS", "AtEpoch", "Look", "RunFacts", "View", "inputs", "splits",
           "translation", "units", "view", "views_for", "weights"]
