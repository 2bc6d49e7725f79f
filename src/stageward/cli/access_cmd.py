"""stageward access roles|grant|revoke|list"""

from __future__ import annotations

import typer

from stageward.cli import render
from stageward.cli.options import ENV, ENV_OPTIONAL, JSON
from stageward.cli.state import call

app = typer.Typer(help="Role bindings per environment.", no_args_is_help=True)
TEAM = typer.Option(None, "--team", help="Narrow the binding to this team's projects.", show_default=False)
PROJECT = typer.Option(None, "--project", help="Narrow the binding to one project.", show_default=False)


@app.command("roles")
def roles(as_json: bool = JSON) -> None:
    """The role -> permission table."""
    render.table(call("access.roles"), ["role", "permissions"], as_json=as_json)


@app.command("grant")
def grant(
    principal: str = typer.Argument(..., help="alice, spn:NAME or team:NAME."),
    role: str = typer.Argument(..., help="viewer, developer, deployer, admin or approver."),
    env: str = ENV,
    team: str | None = TEAM,
    project: str | None = PROJECT,
    as_json: bool = JSON,
) -> None:
    """Bind PRINCIPAL to ROLE in one environment, optionally only over one team's or one project's resources."""
    result = call("access.grant", principal=principal, role=role, env=env, team=team, project=project)
    narrowed = f" for team {team}" if team else f" for project {project}" if project else ""
    render.done(f"granted {role} in {env}{narrowed} to {principal}", as_json=as_json, data=result)


@app.command("revoke")
def revoke(
    principal: str = typer.Argument(...),
    role: str = typer.Argument(...),
    env: str = ENV,
    team: str | None = TEAM,
    project: str | None = PROJECT,
    as_json: bool = JSON,
) -> None:
    """Remove PRINCIPAL's ROLE in one environment (the binding narrowed to TEAM or PROJECT when given)."""
    result = call("access.revoke", principal=principal, role=role, env=env, team=team, project=project)
    narrowed = f" for team {team}" if team else f" for project {project}" if project else ""
    render.done(f"revoked {role} in {env}{narrowed} from {principal}", as_json=as_json, data=result)


@app.command("list")
def list_bindings(env: str | None = ENV_OPTIONAL, as_json: bool = JSON) -> None:
    """Role bindings you can see."""
    rows = call("access.list", env=env)
    render.table(rows, ["environment", "principal", "role", "scope", "granted_by", "granted_at"], as_json=as_json)
