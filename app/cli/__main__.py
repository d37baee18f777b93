"""`python -m app.cli`: the `layerlab` command."""

from app.cli.main import main

main()
