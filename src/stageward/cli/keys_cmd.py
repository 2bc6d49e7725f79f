"""stageward keys create|list|revoke|rotate"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import typer

from stageward.cli import render
from stageward.cli.options import ENV, ENV_OPTIONAL, JSON
from stageward.cli.state import call

if TYPE_CHECKING:
    from stageward.service.results.access import KeyIssued

app = typer.Typer(help="API keys, each bound to one principal and one environment.", no_args_is_help=True)



def _show_once(result: KeyIssued, as_json: bool, message: str) -> None:
    if as_json:
        render.record(result, as_json=True)
        return
    sys.stderr.write(f"{message}\nthe key is shown once; store it now (for example in your CI's secret store):\n")
    sys.stdout.write(f"{result.key}\n")


@app.command("create")
def create(
    principal: str = typer.Option(..., "--principal", help="The user or spn:NAME the key acts as."),
    env: str = ENV,
    ttl: str = typer.Option("30d", "--ttl", help="Lifetime, e.g. 30d (at most 366d)."),
    as_json: bool = JSON,
) -> None:
    """Create a key for PRINCIPAL in one environment; it is shown once."""
    result = call("keys.create", principal=principal, env=env, ttl=ttl)
    _show_once(result, as_json, f"created {result.prefix} for {principal} in {env}, expires {result.expires_at}")


@app.command("list")
def list_keys(
    env: str | None = ENV_OPTIONAL,
    principal: str | None = typer.Option(None, "--principal"),
    as_json: bool = JSON,
) -> None:
    """Keys by prefix, principal, expiry and last use; never the keys."""
    render.table(call("keys.list", env=env, principal=principal), as_json=as_json)


@app.command("revoke")
def revoke(
    prefix: str = typer.Argument(..., help="The key's prefix, as keys list shows it."), as_json: bool = JSON
) -> None:
    """Revoke a key at once."""
    result = call("keys.revoke", prefix=prefix)
    render.done(f"revoked {prefix} ({result.principal} in {result.environment})", as_json=as_json, data=result)


@app.command("rotate")
def rotate(
    prefix: str = typer.Argument(...),
    overlap: str = typer.Option("7d", "--overlap", help="How long the old key keeps working, e.g. 7d."),
    as_json: bool = JSON,
) -> None:
    """Create the successor of a key (shown once); the old one stays valid for the overlap."""
    result = call("keys.rotate", prefix=prefix, overlap=overlap)
    _show_once(
        result,
        as_json,
        f"created {result.prefix} replacing {prefix}; {prefix} keeps working until {result.old_key_expires_at}",
    )
