"""`--mode auto` decided from the files changed under model_paths (pure), and worktrees of one commit."""

from __future__ import annotations

from pathlib import Path

import pytest

from stageward.errors import NotFound
from stageward.promotion.changes import choose_auto, matches
from stageward.runs.worktree import changed_files, worktree_at
from tests.runs.support import git

PATHS = ["src/crosssell/model/**", "conf/**", "train.py"]


@pytest.mark.parametrize(
    ("path", "hit"),
    [
        ("src/crosssell/model/net.py", True),
        ("src/crosssell/model/layers/deep.py", True),
        ("src/crosssell/modelx/net.py", False),
        ("src/crosssell/serve.py", False),
        ("conf/base/app.yaml", True),
        ("train.py", True),
        ("sub/train.py", False),
        ("README.md", False),
    ],
)
def test_globs_keep_star_within_a_segment_and_double_star_across(path: str, hit: bool):
    assert matches(path, PATHS) is hit
    assert matches("a/b/c.py", ["a/*.py"]) is False and matches("a/c.py", ["a/*.py"]) is True
    assert matches("x/y/z.yaml", ["**/z.yaml"]) and matches("z.yaml", ["**/z.yaml"])


def test_auto_copies_when_nothing_under_model_paths_changed_and_names_the_deciding_files():
    copy = choose_auto(["README.md", "src/crosssell/serve.py"], PATHS, "a" * 40)
    assert (copy.mode, copy.deciding_files) == ("copy", [])
    retrain = choose_auto(["README.md", "conf/base/app.yaml", "train.py"], PATHS, "a" * 40)
    assert retrain.mode == "retrain" and retrain.deciding_files == ["conf/base/app.yaml", "train.py"]
    assert "2 file(s) under model_paths changed since aaaaaaaaaaaa: conf/base/app.yaml, train.py" in retrain.reason
    assert choose_auto([], PATHS, None).mode == "retrain"  # no commit recorded: cannot prove nothing changed
    assert choose_auto(None, PATHS, "a" * 40).mode == "retrain"
    assert choose_auto(["train.py"], [], "a" * 40).mode == "copy"


def test_changed_files_and_a_worktree_of_an_old_commit(tmp_path: Path):
    root = tmp_path / "repo"
    root.mkdir()
    (root / "train.py").write_text("v1\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "one")
    first = git(root, "rev-parse", "HEAD")
    (root / "train.py").write_text("v2\n")
    (root / "README.md").write_text("hi\n")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "two")
    assert sorted(changed_files(root, first) or []) == ["README.md", "train.py"]
    assert changed_files(root, "f" * 40) is None
    with worktree_at(root, first) as tree:
        assert (tree / "train.py").read_text() == "v1\n" and not (tree / "README.md").exists()
        kept = tree
    assert not kept.exists() and (root / "train.py").read_text() == "v2\n"
    assert "stageward-retrain" not in git(root, "worktree", "list")
    with pytest.raises(NotFound, match="is not in the repository"), worktree_at(root, "f" * 40):
        pass
