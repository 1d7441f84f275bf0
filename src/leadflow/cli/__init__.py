"""The ``leadflow`` command line: thin Typer commands over the pipeline, one module per concern."""
