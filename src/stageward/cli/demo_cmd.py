"""stageward demo"""

from __future__ import annotations

from pathlib import Path

import typer


def demo(
    directory: Path | None = typer.Argument(None, help="An empty folder (default: a fresh temporary one)."),
) -> None:
    """Build an example project and walk it from sandbox to production, checking every step."""
    from stageward.demo import run_demo

    raise typer.Exit(run_demo(directory))
