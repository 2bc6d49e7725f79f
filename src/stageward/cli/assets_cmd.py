"""The commands shared by `stageward model` and `stageward dataset`, built once for each kind."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from stageward.cli import render
from stageward.cli.options import ENV, ENV_OPTIONAL, JSON
from stageward.cli.state import call

if TYPE_CHECKING:
    from stageward.service.results.registry import LineageStep, VersionDetail

def _from_ref(record: VersionDetail | LineageStep) -> str | None:
    source = record.promoted_from
    return f"{source.env}/{source.name}:{source.version}" if source else None


def make_app(kind: str) -> typer.Typer:
    app = typer.Typer(help=f"Versions, aliases and files of {kind}s.", no_args_is_help=True)
    alias_app = typer.Typer(help=f"Aliases of a {kind} (champion, challenger, ...).", no_args_is_help=True)
    app.add_typer(alias_app, name="alias")

    @app.command("register")
    def register(
        name: str = typer.Argument(..., help=f"The {kind}'s name in ENV."),
        path: str = typer.Argument(..., help="A file or a folder."),
        env: str = ENV,
        metric: list[str] = typer.Option([], "--metric", help="NAME=NUMBER, repeatable."),
        param: list[str] = typer.Option([], "--param", help="KEY=VALUE, repeatable."),
        tag: list[str] = typer.Option([], "--tag", help="KEY=VALUE, repeatable."),
        run: str | None = typer.Option(None, "--run", help="The run that produced it."),
        commit: str | None = typer.Option(
            None, "--commit", help="Git commit (default: HEAD of the project)."
        ),
        as_json: bool = JSON,
    ) -> None:
        """Register PATH as a new version of NAME in ENV."""
        from stageward.cli.progress import for_terminal
        from stageward.registry.values import parse_assignments, parse_metrics

        result = call(
            f"{kind}.publish",
            env=env,
            name=name,
            path=path,
            progress=for_terminal(as_json),
            metrics=parse_metrics(metric),
            params=parse_assignments("--param", param),
            tags=parse_assignments("--tag", tag),
            run=run,
            git_commit=commit,
        )
        render.done(
            f"registered {result.ref} ({result.file_count} file(s), {result.size} bytes, "
            f"{result.uploaded_bytes} uploaded)",
            as_json=as_json,
            data=result,
        )

    @app.command("list", help=f"The {kind}s you can see, with their latest version and aliases.")
    def list_assets(env: str | None = ENV_OPTIONAL, as_json: bool = JSON) -> None:
        rows = call(f"{kind}.list", env=env)
        render.table(rows, as_json=as_json)

    @app.command("show")
    def show(
        ref: str = typer.Argument(..., help="NAME, NAME:VERSION, NAME@ALIAS or ENV/NAME@ALIAS."),
        env: str | None = ENV_OPTIONAL,
        lineage: bool = typer.Option(False, "--lineage", help="The chain back to the first registration."),
        as_of: str | None = typer.Option(
            None, "--as-of", help="With NAME@ALIAS: the version the alias held at this ISO time (UTC if no offset)."
        ),
        as_json: bool = JSON,
    ) -> None:
        """One version: files, metrics, lineage."""
        from stageward.service.results.registry import LineageStep, VersionDetail

        result: VersionDetail = call(f"{kind}.show", env=env, ref=ref, lineage=lineage, as_of=as_of)
        if as_json:
            render.record(result, as_json=True)
            return
        summary = {k: getattr(result, k) for k in VersionDetail.columns}
        summary["promoted_from"] = _from_ref(result)
        render.record(summary, as_json=False, title=result.ref)
        render.table(result.files, as_json=False, title="files")
        if result.lineage is not None:
            rows = [{**step.model_dump(), "promoted_from": _from_ref(step)} for step in result.lineage]
            render.table(rows, LineageStep.columns, as_json=False, title="lineage")

    @app.command("download")
    def download(
        ref: str = typer.Argument(...),
        dest: str = typer.Argument(..., help="A new or empty folder."),
        env: str | None = ENV_OPTIONAL,
        as_json: bool = JSON,
    ) -> None:
        """Write a version's files into DEST, each checked against its sha256."""
        from stageward.cli.progress import for_terminal

        result = call(
            f"{kind}.download", env=env, ref=ref, dest=dest, progress=for_terminal(as_json)
        )
        render.done(
            f"downloaded {result.ref} into {result.dest} ({result.files} file(s))",
            as_json=as_json,
            data=result,
        )

    @alias_app.command("set")
    def alias_set(
        name: str = typer.Argument(...),
        version: int = typer.Argument(...),
        alias: str = typer.Argument(..., help="[a-z0-9-]+"),
        env: str = ENV,
        as_json: bool = JSON,
    ) -> None:
        """Point ALIAS at VERSION of NAME in ENV."""
        result = call(f"{kind}.alias_set", env=env, name=name, version=version, alias=alias)
        was = f" (was {result.previous})" if result.previous is not None else ""
        render.done(f"{env}/{name}@{alias} -> {version}{was}", as_json=as_json, data=result)

    @alias_app.command("history")
    def alias_history(
        name: str = typer.Argument(...),
        alias: str | None = typer.Option(None, "--alias"),
        env: str = ENV,
        as_json: bool = JSON,
    ) -> None:
        """Every move of NAME's aliases, oldest first."""
        rows = call(f"{kind}.alias_history", env=env, name=name, alias=alias)
        render.table(rows, as_json=as_json)

    @app.command("rollback")
    def rollback(
        name: str = typer.Argument(...),
        env: str = ENV,
        alias: str = typer.Option(..., "--alias"),
        as_json: bool = JSON,
    ) -> None:
        """Return ALIAS to the version it held before."""
        result = call(f"{kind}.rollback", env=env, name=name, alias=alias)
        render.done(
            f"{env}/{name}@{alias} -> {result.version} (was {result.previous})",
            as_json=as_json,
            data=result,
        )

    return app
