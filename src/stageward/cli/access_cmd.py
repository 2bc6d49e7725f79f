"""stageward access roles|grant|revoke|list"""

from __future__ import annotations

from typing import Any

import typer

from stageward.cli import render
from stageward.cli.options import ENV_OPTIONAL, JSON
from stageward.cli.state import call

app = typer.Typer(help="Role bindings per environment.", no_args_is_help=True)
TEAM = typer.Option(None, "--team", help="Narrow the binding to this team's projects.", show_default=False)
PROJECT = typer.Option(None, "--project", help="Narrow the binding to one project.", show_default=False)
ENV_OF_BINDING = typer.Option(
    None, "--env", "-e", help="The environment ('*' is the same as --all-environments).", show_default=False
)
ALL_ENVIRONMENTS = typer.Option(
    False, "--all-environments", help="The binding on every environment ('*'), those added later included."
)


@app.command("roles")
def roles(as_json: bool = JSON) -> None:
    """The role -> permission table."""
    render.table(call("access.roles"), as_json=as_json)


def _environment(env: str | None, all_environments: bool) -> dict[str, Any]:
    """The verb's arguments naming the binding's environment: `--env '*'` is the '*' binding."""
    if env == "*":
        return {"all_environments": True}
    return {"env": env, "all_environments": all_environments or None}


def _shown(env: str | None, team: str | None, project: str | None) -> str:
    where = env if env not in (None, "*") else "every environment"
    return where + (f" for team {team}" if team else f" for project {project}" if project else "")


@app.command("grant")
def grant(
    principal: str = typer.Argument(..., help="alice, spn:NAME or team:NAME."),
    role: str = typer.Argument(..., help="viewer, developer, deployer, admin or approver."),
    env: str | None = ENV_OF_BINDING,
    all_environments: bool = ALL_ENVIRONMENTS,
    team: str | None = TEAM,
    project: str | None = PROJECT,
    as_json: bool = JSON,
) -> None:
    """Bind PRINCIPAL to ROLE in one environment (or all), optionally only over one team's or project's resources."""
    result = call(
        "access.grant",
        principal=principal,
        role=role,
        team=team,
        project=project,
        **_environment(env, all_environments),
    )
    render.done(f"granted {role} in {_shown(env, team, project)} to {principal}", as_json=as_json, data=result)


@app.command("revoke")
def revoke(
    principal: str = typer.Argument(...),
    role: str = typer.Argument(...),
    env: str | None = ENV_OF_BINDING,
    all_environments: bool = ALL_ENVIRONMENTS,
    team: str | None = TEAM,
    project: str | None = PROJECT,
    as_json: bool = JSON,
) -> None:
    """Remove PRINCIPAL's ROLE in one environment (or its '*' binding); never the last admin of an environment."""
    result = call(
        "access.revoke",
        principal=principal,
        role=role,
        team=team,
        project=project,
        **_environment(env, all_environments),
    )
    render.done(f"revoked {role} in {_shown(env, team, project)} from {principal}", as_json=as_json, data=result)


@app.command("list")
def list_bindings(env: str | None = ENV_OPTIONAL, as_json: bool = JSON) -> None:
    """Role bindings you can see."""
    rows = call("access.list", env=env)
    render.table(rows, as_json=as_json)
