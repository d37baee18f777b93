"""Migration scripts, one per schema revision, written by hand."""
