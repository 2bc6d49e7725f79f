"""Options shared by many commands."""

from __future__ import annotations

import typer

JSON = typer.Option(False, "--json", help="Print JSON instead of a table.")
ENV = typer.Option(..., "--env", "-e", help="The environment.", show_default=False)
ENV_OPTIONAL = typer.Option(None, "--env", "-e", help="Only this environment.", show_default=False)
