"""stageward team create|add-member|remove-member|list"""

from __future__ import annotations

import typer

from stageward.cli import render
from stageward.cli.options import JSON
from stageward.cli.state import call

app = typer.Typer(help="Teams, their project-name prefix and members.", no_args_is_help=True)


@app.command("create")
def create(
    name: str = typer.Argument(...),
    prefix: str | None = typer.Option(None, "--prefix", help="Project-name prefix (default NAME-)."),
    as_json: bool = JSON,
) -> None:
    """Create a team."""
    result = call("team.create", name=name, prefix=prefix)
    render.done(f"created team {name} (prefix {result.prefix})", as_json=as_json, data=result)


@app.command("add-member")
def add_member(
    team: str = typer.Argument(...),
    member: str = typer.Argument(...),
    maintainer: bool = typer.Option(False, "--maintainer", help="May add and remove the team's members."),
    as_json: bool = JSON,
) -> None:
    """Add a user or service principal to a team (a store admin, or one of the team's maintainers)."""
    result = call("team.add_member", team=team, member=member, maintainer=maintainer)
    render.done(f"added {member} to {team}" + (" as a maintainer" if maintainer else ""), as_json=as_json, data=result)


@app.command("remove-member")
def remove_member(team: str = typer.Argument(...), member: str = typer.Argument(...), as_json: bool = JSON) -> None:
    """Remove a member from a team."""
    result = call("team.remove_member", team=team, member=member)
    render.done(f"removed {member} from {team}", as_json=as_json, data=result)


@app.command("list")
def list_teams(as_json: bool = JSON) -> None:
    """Teams with prefixes and members."""
    render.table(call("team.list"), as_json=as_json)
