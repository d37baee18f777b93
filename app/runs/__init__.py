"""Runs: lifecycle, executors, the recorder and the service the API drives."""

from app.runs.local import run_local

__all__ = ["run_local"]
