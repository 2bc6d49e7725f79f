"""First use of a store: make its creator admin of every environment; check the team prefix rule."""

from __future__ import annotations

from typing import TYPE_CHECKING

from stageward.access.decide import EVERY_ENVIRONMENT
from stageward.access.principals import principal_kind
from stageward.errors import ProjectFileError
from stageward.service.clock import timestamp

if TYPE_CHECKING:
    from stageward.service.context import Context
    from stageward.store.db.engine import Database
    from stageward.store.db.quick_sqlite import QuickSqliteReader


def open_quick_reader(ctx: Context) -> QuickSqliteReader | None:
    """The quick read path for a ready SQLite store, with the team prefix rule checked; None to take the full path."""
    from pathlib import Path

    from stageward.store.db.migrations import head_revision
    from stageward.store.db.quick_sqlite import QuickSqliteReader

    reader = QuickSqliteReader.open(Path(ctx.store_url.removeprefix("sqlite:///")), head_revision())
    if reader is None:
        return None
    try:
        team = ctx.project.spec.team
        check_team_prefix(ctx, reader.team_prefix(team) if team else None)
    except BaseException:
        reader.close()
        raise
    return reader


def open_project_store(ctx: Context) -> Database:
    from stageward.store.db import access_repo
    from stageward.store.db.engine import open_database

    database = open_database(ctx.store_url)
    try:
        with database.transaction(write=False) as conn:
            created_by = access_repo.get_meta(conn, "created_by")
            team = access_repo.get_team(conn, ctx.project.spec.team) if ctx.project.spec.team else None
        if created_by is None:
            # The store's creator is told nothing about the policy applied with it: it is what they wrote.
            ctx.quiet_first_apply = _bootstrap(ctx, database)
        check_team_prefix(ctx, team.prefix if team else None)
    except BaseException:
        database.dispose()
        raise
    return database


def _bootstrap(ctx: Context, database: Database) -> bool:
    """Make the store's creator its admin; False when another process created it first."""
    from stageward.service.chain_key import chain_key
    from stageward.store.db import access_repo, audit_repo

    with database.transaction(write=True) as conn:
        if access_repo.get_meta(conn, "created_by") is not None:
            return False  # another process won the race under the writer lock
        now = timestamp(ctx.clock.now())
        principal = ctx.principal
        access_repo.set_meta(conn, "created_by", principal)
        access_repo.set_meta(conn, "created_at", now)
        if not access_repo.principal_exists(conn, principal):
            access_repo.add_principal(conn, principal, principal_kind(principal), at=now, by=principal)
        access_repo.add_binding(conn, principal, "admin", EVERY_ENVIRONMENT, at=now, by=principal)
        audit_repo.append(
            conn,
            key=chain_key(ctx, conn),
            time=now,
            principal=principal,
            action="store.create",
            environment=None,
            target=ctx.project.spec.project,
            outcome="ok",
            details={"admin": principal, "environments": EVERY_ENVIRONMENT},
        )
    return True


def check_team_prefix(ctx: Context, registered_prefix: str | None) -> None:
    spec = ctx.project.spec
    if spec.team is None:
        return
    prefix = registered_prefix or f"{spec.team}-"
    if not spec.project.startswith(prefix):
        raise ProjectFileError(
            f"{ctx.project.where('project')} project: {spec.project!r} must start with team "
            f"{spec.team!r}'s prefix {prefix!r}"
        )
