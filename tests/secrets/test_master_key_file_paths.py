"""STAGEWARD_MASTER_KEY_FILE where no key file can be: named plainly, never an internal error or a wrong 'chmod 600'."""

from __future__ import annotations

from pathlib import Path

import pytest

from stageward.secrets.envelope import MasterKeyError, create_key_file, read_key_file


def test_a_key_file_under_a_file_cannot_be_created(tmp_path: Path):
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    with pytest.raises(MasterKeyError) as caught:
        create_key_file(blocker / "master.key")
    assert caught.value.message == f"cannot create the master key file {blocker}/master.key (a file is in the way)"
    assert caught.value.exit_code == 2


def test_a_folder_is_no_key_file(tmp_path: Path):
    folder = tmp_path / "keys"
    folder.mkdir(mode=0o755)
    with pytest.raises(MasterKeyError) as caught:
        read_key_file(folder)
    assert caught.value.message == f"master key file {folder} is a folder: expected the file holding the key"
    assert caught.value.hint is None  # not "chmod 600", which would not help
