"""Runs: lifecycle, executors, the recorder and the service the API drives."""

from app.runs.in_process import run_local

__all__ = ["run_local"]
