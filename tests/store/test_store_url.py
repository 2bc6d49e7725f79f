"""STAGEWARD_STORE pointing somewhere a store cannot be made: bad input naming the path, not an internal error."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from stageward.errors import StoreError
from stageward.store.db.engine import open_database


def test_a_store_under_a_file_is_refused_naming_the_folder(tmp_path: Path):
    blocker = tmp_path / "afile"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError) as caught:
        open_database(f"sqlite:///{blocker}/x.db")
    assert caught.value.message == (
        f"cannot create the store {blocker}/x.db: its folder {blocker} cannot be made (a file is in the way)"
    )
    assert blocker.read_text() == "not a folder"


@pytest.mark.parametrize(
    ("url", "scheme"),
    [
        ("postgres://u@127.0.0.1:1/x", "postgres"),
        ("postgresql+nodriver://u:pw@127.0.0.1:1/x", "postgresql+nodriver"),
        ("sqlitex:///tmp/x.db", "sqlitex"),
    ],
)
def test_a_url_with_no_driver_is_a_store_error(url: str, scheme: str):
    with pytest.raises(StoreError, match=re.escape(f"STAGEWARD_STORE: no database driver for {scheme}://")) as caught:
        open_database(url)
    assert "pw" not in caught.value.format_message()


def test_an_unencoded_at_in_the_password_is_refused_before_the_driver_can_echo_part_of_it():
    with pytest.raises(StoreError) as caught:
        open_database("postgresql://u:top@secret@127.0.0.1:1/x")
    assert (
        caught.value.message == "STAGEWARD_STORE: more than one '@' before the host in postgresql://u:***@127.0.0.1:1/x"
    )
    assert "secret" not in caught.value.format_message() and "top" not in caught.value.format_message()


@pytest.mark.parametrize("folder", ["a#b", "a?b", "50%25"])
def test_the_quick_reader_opens_a_store_whose_path_holds_uri_characters(tmp_path: Path, folder: str):
    from stageward.store.db import access_repo
    from stageward.store.db.migrations import head_revision
    from stageward.store.db.quick_sqlite import QuickSqliteReader

    path = tmp_path / folder / "stageward.db"
    database = open_database(f"sqlite:///{path}")
    with database.transaction(write=True) as conn:
        access_repo.set_meta(conn, "created_by", "alice")
    database.dispose()
    reader = QuickSqliteReader.open(path, head_revision())
    assert reader is not None
    reader.close()


@pytest.mark.parametrize(
    "url", ["sqlite://", "sqlite:///:memory:", "sqlite+pysqlite://", "sqlite:///file:x?mode=memory&uri=true"]
)
def test_an_in_memory_store_is_refused(url: str):
    with pytest.raises(StoreError, match="is an in-memory SQLite database, which keeps nothing"):
        open_database(url)
