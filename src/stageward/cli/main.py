"""The `stageward` command: groups are wired here; errors are translated here and nowhere else."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import typer


def _build_app() -> typer.Typer:
    import typer

    from stageward import __version__
    from stageward.cli import (
        access_cmd,
        audit_cmd,
        config_cmd,
        dataset_cmd,
        demo_cmd,
        env_cmd,
        gc_cmd,
        init_cmd,
        keys_cmd,
        model_cmd,
        policy_cmd,
        promote_cmd,
        promotion_cmd,
        rollback_cmd,
        secrets_cmd,
        server_cmd,
        team_cmd,
        verify_cmd,
        webhooks_cmd,
    )

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

    app.add_typer(env_cmd.app, name="env")
    app.add_typer(access_cmd.app, name="access")
    app.add_typer(team_cmd.app, name="team")
    app.add_typer(audit_cmd.app, name="audit")
    app.add_typer(config_cmd.app, name="config")
    app.add_typer(secrets_cmd.app, name="secrets")
    app.add_typer(keys_cmd.app, name="keys")
    app.command("init")(init_cmd.init)
    app.command("demo")(demo_cmd.demo)
    app.add_typer(model_cmd.app, name="model")
    app.add_typer(dataset_cmd.app, name="dataset")
    app.command("promote")(promote_cmd.promote)
    app.command("plan")(promote_cmd.plan)
    app.add_typer(promotion_cmd.app, name="promotion")
    app.command("rollback")(rollback_cmd.rollback)
    app.command("verify")(verify_cmd.verify)
    app.command("gc")(gc_cmd.gc)
    app.add_typer(policy_cmd.app, name="policy")
    app.command("server")(server_cmd.server)
    app.add_typer(webhooks_cmd.app, name="webhooks")
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
        app = globals().get("app") or __getattr__("app")
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
