"""Opening a store: created and migrated on first use; corrupt, foreign or newer stores refused cleanly."""

import sqlite3
import stat
from pathlib import Path

import pytest
from sqlalchemy import text

from stageward.errors import StoreError
from stageward.store.db.engine import open_database
from stageward.store.db.migrations import known_revisions


def test_first_open_creates_and_migrates_to_head(tmp_path: Path):
    path = tmp_path / ".stageward" / "stageward.db"
    database = open_database(f"sqlite:///{path}")
    with database.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == known_revisions()[-1]
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    database.dispose()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_migrations_apply_on_postgresql(store_url: str):
    database = open_database(store_url)
    with database.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == known_revisions()[-1]
        assert conn.execute(text("SELECT count(*) FROM audit_log")).scalar() == 0
    database.dispose()


def test_corrupt_file_is_refused_without_a_traceback(tmp_path: Path):
    path = tmp_path / "stageward.db"
    path.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(StoreError, match=r"stageward.db is not a Stageward store \(corrupt or not a database"):
        open_database(f"sqlite:///{path}")
    assert path.read_bytes().startswith(b"this is not a database")


def test_foreign_database_is_refused_and_left_alone(tmp_path: Path):
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE customers (id INTEGER)")
    with pytest.raises(StoreError, match=r"other.db is not a Stageward store: it holds other tables \(customers\)"):
        open_database(f"sqlite:///{path}")
    with sqlite3.connect(path) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert tables == {"customers"}


def test_newer_schema_is_refused(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    open_database(url).dispose()
    with sqlite3.connect(tmp_path / "s.db") as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    with pytest.raises(StoreError, match="has schema revision 9999, newer than this Stageward knows") as caught:
        open_database(url)
    assert caught.value.exit_code == 2


def test_unsupported_url_hides_the_password():
    with pytest.raises(StoreError, match=r"unsupported URL scheme in mysql://root:\*\*\*@db/x") as caught:
        open_database("mysql://root:hunter2@db/x")
    assert "hunter2" not in caught.value.format_message()
