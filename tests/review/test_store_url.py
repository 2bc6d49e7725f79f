"""STAGEWARD_STORE pointing somewhere a store cannot be made: bad input naming the path, not an internal error."""

from __future__ import annotations

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
