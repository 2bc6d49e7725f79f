"""The `stageward` command: groups are wired here; errors are translated here and nowhere else."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import typer


# Each top-level command: its module under cli/, and the Typer group (`app`) or the command function it holds.
COMMANDS: dict[str, tuple[str, str]] = {
    "env": ("env_cmd", "app"),
    "access": ("access_cmd", "app"),
    "team": ("team_cmd", "app"),
    "audit": ("audit_cmd", "app"),
    "config": ("config_cmd", "app"),
    "secrets": ("secrets_cmd", "app"),
    "keys": ("keys_cmd", "app"),
    "init": ("init_cmd", "init"),
    "demo": ("demo_cmd", "demo"),
    "model": ("model_cmd", "app"),
    "dataset": ("dataset_cmd", "app"),
    "promote": ("promote_cmd", "promote"),
    "plan": ("promote_cmd", "plan"),
    "promotion": ("promotion_cmd", "app"),
    "rollback": ("rollback_cmd", "rollback"),
    "verify": ("verify_cmd", "verify"),
    "gc": ("gc_cmd", "gc"),
    "policy": ("policy_cmd", "app"),
    "run": ("run_cmd", "run"),
    "launcher": ("launcher_cmd", "app"),
    "runs": ("runs_cmd", "app"),
    "scan": ("scan_cmd", "scan"),
    "cost": ("cost_cmd", "app"),
    "schedule": ("schedule_cmd", "app"),
    "scheduler": ("schedule_cmd", "scheduler"),
    "server": ("server_cmd", "server"),
    "webhooks": ("webhooks_cmd", "app"),
}


def _build_app(only: str | None = None) -> typer.Typer:
    """The Typer application: every command, or ONLY the one named (what one invocation parses: building the
    other two dozen groups' parameters and importing their modules costs a run's start ~0.1 s for nothing)."""
    import importlib

    import typer

    from stageward import __version__

    app = typer.Typer(
        name="stageward",
        help="Keep sandbox, development, staging and production apart, and control every passage between them.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
        add_completion=False,
    )

    def _version(value: bool) -> None:
        if value:
            sys.stdout.write(f"stageward {__version__}\n")
            raise typer.Exit(0)

    @app.callback()
    def root(
        version: bool = typer.Option(
            False, "--version", callback=_version, is_eager=True, help="Print the version."
        ),
    ) -> None:
        """Stageward: environments for machine learning."""

    for name, (module_name, attribute) in COMMANDS.items():
        if only is not None and name != only:
            continue
        found = getattr(importlib.import_module(f"stageward.cli.{module_name}"), attribute)
        if attribute == "app":
            app.add_typer(found, name=name)
        else:
            app.command(name)(found)
    return app


def __getattr__(name: str) -> Any:
    """`app`, the Typer application, built on first use (then a plain module global): a cold `config show`
    may never need Typer."""
    if name == "app":
        built = _build_app()
        globals()["app"] = built
        return built
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _quick_config_show(argv: list[str]) -> bool:
    """`config show --env E --json` answered by the quick read (service/quick_config.py) when it can.

    Only this exact form is recognised here (--env E, --env=E or -e E, and --json, once each); any
    other argument, and any case the quick read declines, goes through Typer and the full path.
    """
    if argv[:2] != ["config", "show"]:
        return False
    env: str | None = None
    as_json = False
    rest = argv[2:]
    index = 0
    while index < len(rest):
        argument = rest[index]
        if argument == "--json" and not as_json:
            as_json = True
        elif argument in ("--env", "-e") and env is None and index + 1 < len(rest):
            env = rest[index + 1]
            index += 1
        elif argument.startswith("--env=") and env is None:
            env = argument.removeprefix("--env=")
        else:
            return False
        index += 1
    if env is None or env.startswith("-") or not as_json:
        return False
    from stageward.service.quick_config import show

    result = show(env, dict(os.environ))
    if result is None:
        return False
    from stageward.cli.render import to_json

    sys.stdout.write(to_json(result) + "\n")
    return True


def _print_notices() -> None:
    """What the store did on the caller's behalf (a policy applied on the fly), once, on stderr."""
    from stageward.cli import state
    from stageward.cli.render import printable

    notices = state.take_notices()
    if notices:
        sys.stdout.flush()
        sys.stderr.write("".join(f"{printable(notice)}\n" for notice in notices))


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; a StagewardError leaves as one or two lines on stderr and its exit code (SPEC §11)."""
    from stageward.cli import state
    from stageward.cli.render import printable, printable_message
    from stageward.errors import StagewardError

    debug = os.environ.get("STAGEWARD_DEBUG") == "1"
    if argv is None and sys.argv[1:2] == ["run"] and os.environ.get("STAGEWARD_LAUNCHER") != "cold":
        # A process's own `stageward run` (never a call with ARGV: the warm launcher's forks call main(argv)).
        from stageward.cli.warm_client import hand_over

        warm = hand_over(sys.argv[1:])
        if warm is not None:
            sys.exit(warm)
    try:
        quick = _quick_config_show(sys.argv[1:] if argv is None else argv)
    except Exception:
        if debug:
            raise
        quick = False  # whatever went wrong there, the full path answers (or explains) instead
    if quick:
        sys.exit(0)
    import typer

    try:
        arguments = sys.argv[1:] if argv is None else argv
        # The command named first is the only one this invocation can run: build just it (help and errors read
        # the same); anything else (--help, --version, a misspelt command) gets the whole application.
        only = arguments[0] if arguments and arguments[0] in COMMANDS else None
        app = _build_app(only) if only is not None else globals().get("app") or __getattr__("app")
        code = app(args=argv, standalone_mode=False, prog_name="stageward")
    except StagewardError as error:
        if debug:
            raise
        _print_notices()
        # A message may quote a name or a reason someone else typed: its control characters are shown, not played.
        hint = f"\n  hint: {printable(error.hint)}" if error.hint else ""
        sys.stderr.write(f"error: {printable_message(error.message)}{hint}\n")
        code = error.exit_code
    except typer.Exit as exit_:
        code = exit_.exit_code
    except typer.Abort:
        sys.stderr.write("aborted\n")
        code = 1
    except typer.TyperException as error:  # usage errors: missing or malformed arguments
        # One line saying what is wrong and one saying where to look (SPEC §11), not click's Usage/Try/Error block.
        format_message = getattr(error, "format_message", None)
        message = format_message() if callable(format_message) else str(error)
        sys.stderr.write(f"error: {printable_message(message)}\n")
        context = getattr(error, "ctx", None)
        if context is not None:
            sys.stderr.write(f"  hint: {printable(context.command_path)} --help\n")
        code = 2
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        code = 130
    except Exception as error:
        if debug:
            raise
        # An unexpected error says only its type: its text might hold a value we must not print.
        sys.stderr.write(f"internal error ({type(error).__name__}); set STAGEWARD_DEBUG=1 for a traceback\n")
        code = 1
    finally:
        _print_notices()
        state.close()
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
