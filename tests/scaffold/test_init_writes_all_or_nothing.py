"""stageward init where it cannot write: bad input naming the path, and no half-made project left behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from stageward.errors import BadInput
from stageward.scaffold import init_project


def test_a_folder_under_a_file_is_bad_input_naming_it(tmp_path: Path):
    (tmp_path / "afile").write_text("x")
    with pytest.raises(BadInput, match=r"cannot write the project into .*/afile/sub: .*afile/sub"):
        init_project(tmp_path / "afile" / "sub", project="lp-x")


def test_a_failure_midway_takes_back_what_it_wrote(tmp_path: Path):
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "staging").write_text("a file where init wants a folder")
    with pytest.raises(BadInput, match=r"cannot write the project into .*: .*conf/staging"):
        init_project(tmp_path, project="lp-x")
    left = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert left == ["conf/staging"]
    # The folder is no project: running init again after fixing the cause works.
    (tmp_path / "conf" / "staging").unlink()
    assert "stageward.yaml" in init_project(tmp_path, project="lp-x").files
