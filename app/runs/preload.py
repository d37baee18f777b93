"""Imported once by the worker fork server (see app.runs.process_executor): PyTorch,
LayerLab's training code and the one-time set-up a first network costs, so that every
worker forked from it starts warm, in milliseconds instead of seconds."""

from __future__ import annotations

from app.runs.worker import warm_up

warm_up()
