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
    from stageward.errors import PartlyFailed

    try:
        result = call("verify.asset", ref=ref, env=env)
    except PartlyFailed as failed:
        if as_json:  # the whole report, every mismatch included, then the error line and exit 1
            render.done("", as_json=True, data=failed.result)
        raise
    if as_json:
        render.done("", as_json=True, data=result)
        return
    render.done(f"verified {result.ref}: lineage {' <- '.join(result.lineage)}")
    for version in result.versions:
        render.done(
            f"  {version.ref}: {version.files} file(s), {version.bytes_rehashed} bytes rehashed"
        )
