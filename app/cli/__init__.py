"""The `layerlab` command (`app.cli.main`) and its groups of subcommands."""

from app.cli.main import cli, main

__all__ = ["cli", "main"]
