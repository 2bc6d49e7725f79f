"""stageward launcher start|status|stop: the warm launcher that starts `stageward run` without import costs.

Not a verb: it touches no store and no project. It is a process of this machine and user (cli/warm_server.py).
"""

from __future__ import annotations

import time
from typing import Any

import typer

from stageward.cli import render
from stageward.cli.options import JSON

app = typer.Typer(
    help="A warm launcher: `stageward run` starts in a process that has already imported Stageward.",
    no_args_is_help=True,
)


def _usable() -> None:
    from stageward.cli.warm_protocol import Unusable, socket_path
    from stageward.errors import BadInput

    try:
        socket_path(create=True)
    except Unusable as exc:
        raise BadInput(str(exc), hint="set XDG_RUNTIME_DIR to a short folder only you can enter") from None


def _described(status: dict[str, Any]) -> dict[str, Any]:
    return {
        "pid": status["pid"],
        "up_seconds": round(time.time() - float(status["started"]), 1),
        "runs_served": status["served"],
        "runs_running": status["running"],
        "stops_after_idle_seconds": status["idle_seconds"],
        "current": status["fresh"],
    }


@app.command("start")
def start(
    idle: float = typer.Option(3600.0, "--idle", min=1.0, help="Stop after this many seconds without a run."),
    as_json: bool = JSON,
) -> None:
    """Start the warm launcher of this installation in the background (or say which one already runs)."""
    from stageward.cli import warm_client
    from stageward.errors import CheckFailed

    _usable()
    running = warm_client.ask("ping")
    if running is not None and running["fresh"]:
        render.done(f"the warm launcher already runs (pid {running['pid']})", as_json=as_json, data=_described(running))
        return
    if running is not None:
        warm_client.stop()  # it runs older code: a new one replaces it
    from stageward.cli.warm_protocol import Unusable
    from stageward.errors import BadInput

    try:
        status = warm_client.start(idle)
    except Unusable as exc:  # its log is a link or not the user's own: named, never followed
        raise BadInput(str(exc)) from None
    except RuntimeError as exc:
        raise CheckFailed(f"the warm launcher did not start: {exc}") from None
    render.done(
        f"warm launcher started (pid {status['pid']}); `stageward run` starts in it; it stops after"
        f" {idle:g} s without a run",
        as_json=as_json,
        data=_described(status),
    )


@app.command("status")
def status(as_json: bool = JSON) -> None:
    """Whether a warm launcher serves this installation, since when, and how many runs it started."""
    from stageward.cli import warm_client

    running = warm_client.ask("ping")
    if running is None:
        render.done("no warm launcher runs; `stageward run` starts cold", as_json=as_json, data={"running": False})
        return
    render.record({"running": True, **_described(running)}, as_json=as_json)


@app.command("stop")
def stop(as_json: bool = JSON) -> None:
    """Stop the warm launcher; runs it already started go on to their end."""
    from stageward.cli import warm_client

    pid = warm_client.stop()
    message = "no warm launcher was running" if pid is None else f"warm launcher stopped (pid {pid})"
    render.done(message, as_json=as_json, data={"stopped": pid})
