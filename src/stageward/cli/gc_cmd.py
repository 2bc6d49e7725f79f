"""stageward gc"""

from __future__ import annotations

import typer

from stageward.cli import render
from stageward.cli.options import JSON
from stageward.cli.state import call


def gc(
    older_than: float = typer.Option(
        3600.0, "--older-than", help="Seconds; a temporary a live upload holds is never removed, whatever its age."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="List, remove nothing."),
    as_json: bool = JSON,
) -> None:
    """Remove temporary blobs left behind by interrupted uploads and copies."""
    result = call("gc.run", older_than=older_than, dry_run=dry_run)
    verb = "would remove" if dry_run else "removed"
    render.done(f"{verb} {result['removed']} temporary blob(s)", as_json=as_json, data=result)
