"""stageward verify ENV/NAME@ALIAS"""

from __future__ import annotations

import typer

from stageward.cli import render
from stageward.cli.options import ENV_OPTIONAL, JSON
from stageward.cli.state import call


def verify(
    ref: str = typer.Argument(..., help="ENV/NAME@ALIAS, ENV/NAME:VERSION, or NAME... with --env."),
    env: str | None = ENV_OPTIONAL,
    as_json: bool = JSON,
) -> None:
    """Rehash a version's blobs, walk its lineage to the first registration; exit 1 on a mismatch."""
    result = call("verify.asset", ref=ref, env=env)
    render.done(
        f"verified {result['ref']}: {result['files']} file(s), {result['bytes_rehashed']} bytes rehashed; "
        f"lineage {' <- '.join(result['lineage'])}",
        as_json=as_json,
        data=result,
    )
