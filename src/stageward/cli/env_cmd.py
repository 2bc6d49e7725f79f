"""stageward env list|show"""

from __future__ import annotations

import typer

from stageward.cli import render
from stageward.cli.options import JSON
from stageward.cli.state import call

app = typer.Typer(help="Environments declared in stageward.yaml, as you can see them.", no_args_is_help=True)


@app.command("list")
def list_environments(as_json: bool = JSON) -> None:
    """The environments you can see, in tier order, with your roles."""
    rows = call("env.list")
    render.table(rows, as_json=as_json)


@app.command("show")
def show(name: str = typer.Argument(..., help="Environment name."), as_json: bool = JSON) -> None:
    """One environment with the controls in force there (tier defaults applied)."""
    render.record(call("env.show", env=name), as_json=as_json, title=name)
