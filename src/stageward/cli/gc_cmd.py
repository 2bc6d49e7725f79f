"""stageward gc"""

from __future__ import annotations

import typer

from stageward.cli import render
from stageward.cli.options import JSON
from stageward.cli.state import call


def _seconds(text: str | None) -> float | None:
    """--older-than as seconds (3600) or a duration (24h, 7d); None keeps each kind's default."""
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        from stageward.secrets.durations import parse_duration

        return parse_duration(text, option="--older-than").total_seconds()


def gc(
    older_than: str | None = typer.Option(
        None,
        "--older-than",
        help="Seconds or a duration (24h). Default 1h for temporaries, 24h for --blobs. "
        "A temporary a live upload holds is never removed, whatever its age.",
        show_default=False,
    ),
    blobs: bool = typer.Option(
        False, "--blobs", help="Also remove published blobs no version references (store admins; see docs/registry.md)."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="List, remove nothing."),
    as_json: bool = JSON,
) -> None:
    """Remove temporary blobs left behind by interrupted uploads and copies; with --blobs, unreferenced blobs too."""
    result = call("gc.run", older_than=_seconds(older_than), blobs=blobs or None, dry_run=dry_run)
    if as_json:
        render.done("", as_json=True, data=result)
        return
    verb = "would remove" if dry_run else "removed"
    if not blobs:
        render.done(f"{verb} {result.removed} temporary blob(s)")
        return
    rows = [{"store": s.store, **blob.model_dump()} for s in result.stores for blob in s.blobs]
    if rows:
        render.table(rows, ["store", "sha256", "size", "modified"], as_json=False)
    render.done(
        f"{verb} {result.removed} temporary blob(s) and {result.blobs_removed} unreferenced blob(s) "
        f"({result.blob_bytes} bytes)"
    )
