"""stageward webhooks list|add|remove|deliveries"""

from __future__ import annotations

import sys

import typer

from stageward.cli import render
from stageward.cli.options import ENV, ENV_OPTIONAL, JSON
from stageward.cli.state import call

app = typer.Typer(
    help="Webhooks per environment: its events (promotions, alias moves, denials) sent signed to a URL.",
    no_args_is_help=True,
)


@app.command("add")
def add(
    env: str = ENV,
    url: str = typer.Option(..., "--url", help="Where to POST the events (http:// or https://)."),
    as_json: bool = JSON,
) -> None:
    """Send ENV's events to URL; prints the signing secret once."""
    result = call("webhooks.add", env=env, url=url)
    if as_json:
        render.record(result, as_json=True)
        return
    sys.stderr.write(
        f"added webhook {result.id} for {env}: {render.printable(url)}\n"
        "its signing secret is shown once; give it to the receiver (Standard Webhooks):\n"
    )
    sys.stdout.write(f"{result.secret}\n")


@app.command("list")
def list_webhooks(env: str | None = ENV_OPTIONAL, as_json: bool = JSON) -> None:
    """Webhooks with their pending deliveries; never their secrets."""
    render.table(
        call("webhooks.list", env=env), ["id", "environment", "url", "pending", "created_by", "created_at"],
        as_json=as_json,
    )


@app.command("remove")
def remove(webhook_id: int = typer.Argument(..., metavar="ID"), as_json: bool = JSON) -> None:
    """Stop sending events to webhook ID."""
    result = call("webhooks.remove", id=webhook_id)
    render.done(f"removed webhook {webhook_id} ({render.printable(result.url)})", as_json=as_json, data=result)


@app.command("deliveries")
def deliveries(
    webhook_id: int = typer.Argument(..., metavar="ID"),
    limit: int = typer.Option(50, "--limit", min=1, max=1000),
    as_json: bool = JSON,
) -> None:
    """The delivery log of webhook ID, newest first."""
    render.table(
        call("webhooks.deliveries", id=webhook_id, limit=limit),
        ["event_id", "type", "state", "attempts", "last_status", "last_error", "delivered_at", "next_attempt_at"],
        as_json=as_json,
    )
