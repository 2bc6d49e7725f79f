"""Read-only access checks on a SQLite store through the standard library, without SQLAlchemy.

Why by hand: importing SQLAlchemy costs ~110 ms, more than everything else a
read command does. A read verb (`config show`, `env list`) needs only the
caller's bindings and team memberships before it can answer, so for a SQLite
store at the current schema revision we read those with `sqlite3` and load
SQLAlchemy only if the verb goes on to touch other tables. The query mirrors
access_repo.access_of(); writes never come through here, so a check and the act it
guards always share one transaction.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import quote

from stageward.access.decide import Binding


class QuickSqliteReader:
    def __init__(self, connection: sqlite3.Connection) -> None:
        self._conn = connection

    @classmethod
    def open(cls, path: Path, head_revision: str) -> QuickSqliteReader | None:
        """A reader when the store exists, is at HEAD_REVISION and was bootstrapped; else None."""
        if not path.is_file():
            return None
        try:
            # Quoted: a '#', '?' or '%' in the path would otherwise end or change it inside the URI.
            conn = sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True, timeout=30)
        except sqlite3.Error:
            return None
        try:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            created = conn.execute("SELECT value FROM stageward_meta WHERE key = 'created_by'").fetchone()
        except sqlite3.Error:
            conn.close()
            return None  # the full open path explains what is wrong with the store
        if row is None or row[0] != head_revision or created is None:
            conn.close()
            return None
        return cls(conn)

    def team_prefix(self, team: str) -> str | None:
        row = self._conn.execute("SELECT prefix FROM teams WHERE name = ?", (team,)).fetchone()
        return row[0] if row else None

    def access_of(self, principal: str) -> tuple[list[str], list[Binding]]:
        rows = self._conn.execute(
            "SELECT 'binding', principal, role, environment, scope FROM role_bindings"
            " WHERE principal = ?1 OR principal IN (SELECT 'team:' || team FROM team_members WHERE member = ?1)"
            " UNION ALL SELECT 'team', 'team:' || team, NULL, NULL, NULL FROM team_members WHERE member = ?1",
            (principal,),
        ).fetchall()
        return (
            [row[1] for row in rows if row[0] == "team"],
            [Binding(row[1], row[2], row[3], row[4]) for row in rows if row[0] == "binding"],
        )

    def project(self, name: str) -> tuple[str | None] | None:
        """(team,) of the registered project NAME, or None when it is not registered."""
        row = self._conn.execute("SELECT team FROM projects WHERE name = ?", (name,)).fetchone()
        return (row[0],) if row else None

    def policy_digest(self, project: str) -> str | None:
        """The digest of PROJECT's applied policy, or None before its first apply."""
        row = self._conn.execute(
            "SELECT digest FROM policy_versions WHERE project = ? ORDER BY version DESC LIMIT 1", (project,)
        ).fetchone()
        return row[0] if row else None

    def close(self) -> None:
        self._conn.close()
