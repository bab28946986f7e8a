"""The ``userops`` command line: Typer sub-apps composed in :mod:`userops.cli.main`."""
