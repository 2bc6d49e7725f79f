"""The caller's teams and bindings in one query, identical through SQLAlchemy and the quick SQLite reader."""

from pathlib import Path

import pytest

from stageward.store.db import access_repo
from stageward.store.db.migrations import head_revision
from stageward.store.db.quick_sqlite import QuickSqliteReader


def _populate(client_for) -> None:
    alice = client_for("alice")
    alice.call("team.create", name="lp")
    alice.call("team.create", name="ml")
    alice.call("team.add_member", team="lp", member="carol")
    alice.call("team.add_member", team="ml", member="carol")  # a team with no bindings still counts
    alice.call("access.grant", principal="team:lp", role="viewer", env="staging")
    alice.call("access.grant", principal="carol", role="developer", env="development")
    alice.call("access.grant", principal="bob", role="admin", env="production")


def test_access_of_returns_teams_and_direct_and_team_bindings(client_for, context_for):
    _populate(client_for)
    with context_for("alice").database.transaction(write=False) as conn:
        teams, bindings = access_repo.access_of(conn, "carol")
        assert sorted(teams) == ["team:lp", "team:ml"]
        assert sorted((b.principal, b.role, b.environment) for b in bindings) == [
            ("carol", "developer", "development"),
            ("team:lp", "viewer", "staging"),
        ]
        assert access_repo.access_of(conn, "alice") == ([], access_repo.access_of(conn, "alice")[1])
        assert [(b.role, b.environment) for b in access_repo.access_of(conn, "alice")[1]] == [("admin", "*")]
        assert access_repo.access_of(conn, "nobody") == ([], [])


def test_the_quick_reader_agrees(tmp_path: Path, client_for, context_for, store_url: str):
    if not store_url.startswith("sqlite"):
        pytest.skip("the quick reader serves SQLite stores only")
    _populate(client_for)
    reader = QuickSqliteReader.open(Path(store_url.removeprefix("sqlite:///")), head_revision())
    assert reader is not None
    with context_for("alice").database.transaction(write=False) as conn:
        for principal in ("alice", "bob", "carol", "nobody"):
            quick_teams, quick_bindings = reader.access_of(principal)
            teams, bindings = access_repo.access_of(conn, principal)
            assert sorted(quick_teams) == sorted(teams)
            assert sorted(quick_bindings, key=repr) == sorted(bindings, key=repr)
    reader.close()
