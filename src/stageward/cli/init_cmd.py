"""stageward init"""

from __future__ import annotations

from pathlib import Path

import typer

from stageward.cli import render


def init(
    directory: Path = typer.Argument(Path("."), help="Folder for the new project (default: here)."),
    project: str = typer.Option(..., "--project", help="Project name; must carry the team's prefix."),
    team: str | None = typer.Option(None, "--team", help="Owning team."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Create stageward.yaml with the four tiers, conf/, .gitignore entries and a CI workflow."""
    import os

    from stageward.scaffold import init_project
    from stageward.service.keyring import master_key_notice

    result = init_project(directory, project=project, team=team)
    where, notice = master_key_notice(result.root, dict(os.environ))
    data = {"root": str(result.root), "files": result.files, "master_key": where}
    if as_json:
        render.done("", as_json=True, data=data)
        return
    render.done(f"created {project} in {result.root}: " + ", ".join(result.files))
    render.done(notice)
