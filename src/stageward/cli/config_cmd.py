"""stageward config show|diff|check|export"""

from __future__ import annotations

import sys
from typing import Any

import typer

from stageward.cli import render
from stageward.cli.options import ENV, ENV_OPTIONAL, JSON
from stageward.cli.state import call

app = typer.Typer(help="Configuration per environment: layers, interpolation, checks.", no_args_is_help=True)

SET = typer.Option(
    None,
    "--set",
    help="KEY=VALUE over every layer (VALUE read as YAML); +KEY=VALUE adds a key.",
    show_default=False,
)


@app.command("show")
def show(
    env: str = ENV,
    explain: bool = typer.Option(False, "--explain", help="Show where each key was set."),
    reveal: bool = typer.Option(
        False, "--reveal", help="Show secret values (needs secrets.read_value; audited)."
    ),
    overrides: list[str] | None = SET,
    as_json: bool = JSON,
) -> None:
    """The resolved config of an environment; secrets masked as *** unless --reveal."""
    verb = "config.reveal" if reveal else "config.show"
    result = call(verb, env=env, explain=explain or None, overrides=overrides or None)
    if as_json:
        render.record(result, as_json=True)
    elif explain:
        rows = [{**row.model_dump(), "value": _text(row.value), "via": row.references} for row in result.explain or []]
        title = f"{env} ({result.digest[:19]})"
        render.table(rows, ["key", "value", "origin", "via"], as_json=False, title=title, whole=["origin"])
    else:
        sys.stdout.write(f"# {env}  {result.digest}\n")
        if result.config:
            sys.stdout.write(render.to_yaml(result.config))


def _text(value: Any) -> str:
    import json

    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


@app.command("diff")
def diff(
    env_a: str = typer.Argument(..., help="One environment, say staging."),
    env_b: str = typer.Argument(..., help="The other, say production."),
    as_json: bool = JSON,
) -> None:
    """The difference between two environments' committed configs; intentional differences marked."""
    result = call("config.diff", env_a=env_a, env_b=env_b)
    if as_json:
        render.record(result, as_json=True)
        return
    rows = [
        {
            "key": row["key"],
            env_a: "(missing)" if row["only_in"] == env_b else _text(row[env_a]),
            env_b: "(missing)" if row["only_in"] == env_a else _text(row[env_b]),
            "marked": row["marked"],
        }
        for row in result.differences
    ]
    render.table(rows, ["key", env_a, env_b, "marked"], as_json=False, title=f"{env_a} -> {env_b}")


@app.command("check")
def check(env: str | None = ENV_OPTIONAL, as_json: bool = JSON) -> None:
    """Check the committed configs (SPEC §4): one finding a line, exit 1 if there is any."""
    from stageward.errors import CheckFailed

    result = call("config.check", env=env)
    findings = result.findings
    if as_json:
        render.record(result, as_json=True)
    else:
        for finding in findings:
            sys.stdout.write(render.printable(finding.line) + "\n")
        if not findings:
            sys.stdout.write(f"config check: no findings in {', '.join(result.environments)}\n")
    if findings:
        raise CheckFailed(f"config check: {len(findings)} finding{'s' if len(findings) > 1 else ''}")


@app.command("export")
def export(
    env: str = ENV,
    format: str = typer.Option("json", "--format", "-f", help="dotenv, json or k8s."),
    overrides: list[str] | None = SET,
) -> None:
    """The resolved config for another tool; secret values are never exported, only references."""
    result = call("config.export", env=env, format=format, overrides=overrides or None)
    sys.stdout.write(result.text)
