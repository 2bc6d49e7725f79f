"""stageward secrets set|get|list|history|delete|rotate"""

from __future__ import annotations

import sys

import typer

from stageward.cli import render
from stageward.cli.options import ENV, ENV_OPTIONAL, JSON
from stageward.cli.state import call

app = typer.Typer(
    help="Encrypted secrets per environment (values read from stdin, never printed).", no_args_is_help=True
)

TEAM = typer.Option(None, "--team", help="Narrow the secret to one team's projects (name prefix).")


def _read_value(name: str) -> str:
    """The value from stdin: hidden prompt on a terminal, else the piped bytes (one trailing newline dropped)."""
    from stageward.secrets.names import MAX_VALUE_BYTES, check_value, strip_one_newline

    if sys.stdin is None:
        from stageward.errors import BadInput

        raise BadInput(
            "no stdin to read the value from",
            hint="run it on a terminal to be prompted, or give the value on stdin: stageward secrets set ... < FILE",
        )
    if sys.stdin.isatty():
        import getpass

        return check_value(getpass.getpass(f"value of {name} (not echoed): "))
    # Read past the limit (and a CRLF) so an oversized value is refused, never silently truncated.
    data = sys.stdin.buffer.read(MAX_VALUE_BYTES + 3)
    if len(data) > MAX_VALUE_BYTES + 2:
        from stageward.errors import TooLarge

        raise TooLarge(f"secret value on stdin is more than {MAX_VALUE_BYTES} bytes (64 KiB), the limit")
    return check_value(strip_one_newline(data))


@app.command("set")
def set_secret(
    name: str = typer.Argument(..., help="Secret name: letters, digits, _ - ."),
    env: str = ENV,
    team: str | None = TEAM,
    expires_in: str | None = typer.Option(None, "--expires-in", help="Lifetime of this value, e.g. 30d or 12h."),
    rotate_with: str | None = typer.Option(
        None,
        "--rotate-with",
        help="random:N, or generator:NAME declared under generators: in stageward.yaml (run by secrets rotate).",
    ),
    generate: bool = typer.Option(False, "--generate", help="Make this value with the --rotate-with generator."),
    as_json: bool = JSON,
) -> None:
    """Store a new version of NAME; on a terminal the value is prompted for (not echoed), else read from stdin."""
    value = None if generate else _read_value(name)
    result = call(
        "secrets.set",
        env=env,
        name=name,
        value=value,
        team=team,
        expires_in=expires_in,
        rotate_with=rotate_with,
        generate=generate or None,
    )
    expiry = f", expires {result.expires_at}" if result.expires_at else ""
    render.done(
        f"set {name} in {env} ({result.scope}): version {result.version}{expiry}", as_json=as_json, data=result
    )


@app.command("get")
def get_secret(
    name: str = typer.Argument(...),
    env: str = ENV,
    team: str | None = TEAM,
    as_json: bool = JSON,
) -> None:
    """Print NAME's value (needs secrets.read_value; audited). Exactly the value, for pipes."""
    result = call("secrets.get", env=env, name=name, team=team)
    if as_json:
        render.record(result, as_json=True)
        return
    sys.stdout.write(result.value + ("\n" if sys.stdout.isatty() else ""))


@app.command("list")
def list_secrets(env: str | None = ENV_OPTIONAL, as_json: bool = JSON) -> None:
    """Names, scopes, versions and expiry; never values."""
    render.table(call("secrets.list", env=env), as_json=as_json)


@app.command("history")
def history(name: str = typer.Argument(...), env: str = ENV, team: str | None = TEAM, as_json: bool = JSON) -> None:
    """Every version of NAME: who set it, when, how; never values."""
    rows = call("secrets.history", env=env, name=name, team=team)
    render.table(rows, as_json=as_json)


@app.command("delete")
def delete(name: str = typer.Argument(...), env: str = ENV, team: str | None = TEAM, as_json: bool = JSON) -> None:
    """Delete NAME (one scope) with every version."""
    result = call("secrets.delete", env=env, name=name, team=team)
    render.done(
        f"deleted {name} from {env} ({result.scope}, {result.versions_deleted} version(s))",
        as_json=as_json,
        data=result,
    )


@app.command("rotate")
def rotate(
    env: str | None = ENV_OPTIONAL,
    expiring_within: str | None = typer.Option(
        None, "--expiring-within", help="Window, e.g. 30d (default 7d); expired ones are always included."
    ),
    as_json: bool = JSON,
) -> None:
    """Rotate what expires within the window and has a generator; list what needs a hand (API keys too).

    Every secret's outcome is printed; when any rotation failed the command then exits 1 (the others are kept).
    """
    from stageward.errors import PartlyFailed

    try:
        rows = call("secrets.rotate", env=env, expiring_within=expiring_within)
    except PartlyFailed as failed:
        render.table(failed.result, as_json=as_json)
        raise
    render.table(rows, as_json=as_json)
