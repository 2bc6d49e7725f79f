"""stageward run --env ENV [--image] [--reads] [--writes] [--executor] [--tag k=v] -- CMD ARGS..."""

from __future__ import annotations

import sys

import typer

from stageward.cli.options import ENV
from stageward.cli.state import call


def _names(text: str | None) -> list[str]:
    return [name.strip() for name in (text or "").split(",") if name.strip()]


def _tags(given: list[str]) -> dict[str, str]:
    from stageward.errors import BadInput

    tags = {}
    for item in given:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise BadInput(f"--tag {item!r}: expected KEY=VALUE")
        tags[key] = value
    return tags


def _echo(data: bytes) -> None:
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


def run(
    command: list[str] = typer.Argument(..., help="The command and its arguments, after --.", show_default=False),
    env: str = ENV,
    image: str | None = typer.Option(None, "--image", help="Container image, pinned by digest (@sha256:...)."),
    reads: str | None = typer.Option(None, "--reads", help="Data stores the run reads: a,b."),
    writes: str | None = typer.Option(None, "--writes", help="Data stores the run writes: c."),
    executor: str = typer.Option("local", "--executor", help="local (default) or ray."),
    tag: list[str] = typer.Option([], "--tag", help="A cost tag KEY=VALUE; repeat for more."),
) -> None:
    """Run a command in an environment once every guardrail passes; output streamed, secrets masked."""
    record = call(
        "runs.launch",
        env=env,
        command=command,
        image=image,
        reads=_names(reads),
        writes=_names(writes),
        executor=executor,
        tags=_tags(tag),
        echo=_echo,
    )
    sys.stdout.flush()
    sys.stderr.write(
        f"run {record.id} {record.status} in {env} (exit {record.exit_code}, "
        f"{record.cpu_seconds or 0:.2f} CPU s, cost {record.cost or 0:.4f})\n"
    )
