"""Which asset versions hold a blob: what lets a reader of an environment fetch the blob by its digest.

The wall between projects that share a blob store is asked of a whole manifest at once: a register of tens of
thousands of files asks it inside its write transaction, so it costs one statement per `CHUNK` digests, not a
few per file. Each statement lists its digests (a VALUES table) and asks of each the rule's EXISTS questions,
which stop at the first row that answers them, as one-digest lookups do. A one-digest question is the same
statement asked of one digest: the rule is written once.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator

from sqlalchemy import (
    CTE,
    ColumnElement,
    Connection,
    Select,
    String,
    and_,
    bindparam,
    column,
    exists,
    insert,
    or_,
    select,
    text,
)

from stageward.store.db.schema_registry import asset_versions, assets, blob_claims, version_files
from stageward.store.db.schema_runs import run_log_chunks, runs

# Digests per statement: CHUNK bound parameters, plus the eight of the rule's project and environment, stay
# under the lowest bound of the databases Stageward runs on (999 per statement for SQLite before 3.32, 65,535
# for PostgreSQL). A power of two: a shorter chunk is padded to one (see _matching).
CHUNK = 512

# The asking project and its environment, bound at execution: a statement is built once per shape and cached.
_PROJECT = bindparam("project", type_=String)
_ENVIRONMENT = bindparam("environment", type_=String)

Rule = Callable[[ColumnElement[str]], ColumnElement[bool]]


def chunks(digests: Iterable[str]) -> Iterator[list[str]]:
    """DIGESTS without repeats, in their first order, CHUNK at a time."""
    unique = list(dict.fromkeys(digests))
    for start in range(0, len(unique), CHUNK):
        yield unique[start : start + CHUNK]


def _in_a_version(digest: ColumnElement[str], whose: ColumnElement[bool]) -> ColumnElement[bool]:
    return exists().select_from(
        version_files.join(asset_versions, asset_versions.c.id == version_files.c.version_id).join(
            assets, assets.c.id == asset_versions.c.asset_id
        )
    ).where(version_files.c.sha256 == digest, assets.c.environment == _ENVIRONMENT, whose)


def _of_another_project(digest: ColumnElement[str]) -> ColumnElement[bool]:
    """DIGEST belongs, in the environment, to a version or a run log of a project other than the asking one."""
    in_log = exists().select_from(run_log_chunks.join(runs, runs.c.id == run_log_chunks.c.run_id)).where(
        run_log_chunks.c.digest == digest, runs.c.environment == _ENVIRONMENT, runs.c.project != _PROJECT
    )
    return or_(_in_a_version(digest, assets.c.project != _PROJECT), in_log)


def _out_of_reach(digest: ColumnElement[str]) -> ColumnElement[bool]:
    """Another project holds DIGEST, while the asking project neither holds it nor sent its bytes (a claim)."""
    claimed = exists().where(
        blob_claims.c.project == _PROJECT, blob_claims.c.environment == _ENVIRONMENT, blob_claims.c.digest == digest
    )
    # Cheapest first, as SQLite asks them in this order and stops at the first false: a claim is one primary-key
    # probe; the project's own versions stop at the first (a version again of files registered before, the common
    # case); only then are other projects' walked (every version of the digest, when none is another project's).
    return and_(~claimed, ~_in_a_version(digest, assets.c.project == _PROJECT), _of_another_project(digest))


@functools.cache
def _statement(rule: Rule, rows: int) -> Select[str]:
    """The digests among ROWS bound ones (digest_0...) for which RULE holds. The list is text, `VALUES (...)`,
    its column named column1 as SQLite and PostgreSQL both name it, because SQLAlchemy's values() has no cache
    key: it was compiled afresh on every execution, 17 ms for 500 digests, ten times the query itself."""
    listed = ", ".join(f"(:digest_{row})" for row in range(rows))
    asked: CTE = text(f"VALUES {listed}").columns(column("column1", String)).cte("asked")
    return select(asked.c.column1).where(rule(asked.c.column1))


def _matching(conn: Connection, project: str, environment: str, digests: Iterable[str], rule: Rule) -> set[str]:
    """Those of DIGESTS for which RULE holds, asked by PROJECT in ENVIRONMENT: one statement per chunk. A chunk is
    padded to a power of two by repeating its last digest, so at most ten shapes of statement are ever built."""
    found: set[str] = set()
    for chunk in chunks(digests):
        rows = 1 << (len(chunk) - 1).bit_length()
        padded = chunk + chunk[-1:] * (rows - len(chunk))
        bound = {f"digest_{row}": digest for row, digest in enumerate(padded)}
        found.update(
            conn.execute(_statement(rule, rows), {**bound, "project": project, "environment": environment}).scalars()
        )
    return found


def size_in_environment(conn: Connection, project: str, environment: str, digest: str) -> int | None:
    """The size of blob DIGEST when a version of PROJECT's assets in ENVIRONMENT holds it, else None."""
    row = conn.execute(
        select(version_files.c.size)
        .select_from(
            version_files.join(asset_versions, asset_versions.c.id == version_files.c.version_id).join(
                assets, assets.c.id == asset_versions.c.asset_id
            )
        )
        .where(
            version_files.c.sha256 == digest,
            assets.c.project == project,
            assets.c.environment == environment,
        )
        .limit(1)
    ).first()
    return int(row[0]) if row is not None else None


def held_by_other_projects(conn: Connection, project: str, environment: str, digests: Iterable[str]) -> set[str]:
    """Those of DIGESTS that belong, in ENVIRONMENT, to a version or a run log of a project other than PROJECT:
    a blob store may be shared by projects (one bucket per environment), and a digest is no capability."""
    return _matching(conn, project, environment, digests, _of_another_project)


def held_by_another_project(conn: Connection, project: str, environment: str, digest: str) -> bool:
    """Whether blob DIGEST belongs, in ENVIRONMENT, to a version or a run log of a project other than PROJECT."""
    return digest in held_by_other_projects(conn, project, environment, [digest])


def out_of_reach(conn: Connection, project: str, environment: str, digests: Iterable[str]) -> set[str]:
    """Those of DIGESTS that a version of PROJECT in ENVIRONMENT may not name without their bytes being sent: held
    there by another project, while PROJECT neither holds them already nor had its caller send their bytes (a
    claim). A digest nobody holds (a new upload) is within reach."""
    return _matching(conn, project, environment, digests, _out_of_reach)


def may_reference(conn: Connection, project: str, environment: str, digest: str) -> bool:
    """Whether a version of PROJECT in ENVIRONMENT may name blob DIGEST without its bytes being sent."""
    return digest not in out_of_reach(conn, project, environment, [digest])


def claim(conn: Connection, project: str, environment: str, digest: str, *, at: str, by: str) -> None:
    """PROJECT's caller sent the bytes of blob DIGEST into ENVIRONMENT's store (kept once)."""
    held = select(blob_claims.c.digest).where(
        blob_claims.c.project == project, blob_claims.c.environment == environment, blob_claims.c.digest == digest
    )
    if conn.execute(held).first() is None:
        conn.execute(
            insert(blob_claims).values(
                project=project, environment=environment, digest=digest, claimed_at=at, claimed_by=by
            )
        )
