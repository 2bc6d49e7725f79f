"""A `git worktree` of one commit, in a private temporary folder, removed afterwards: where a retrain runs,
never the user's checkout."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from stageward.errors import BadInput, NotFound


def _git(folder: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "-C", str(folder), *arguments], capture_output=True, text=True, check=False)


def changed_files(folder: Path, since: str) -> list[str] | None:
    """Files that differ between commit SINCE and HEAD in the repository at FOLDER; None when git cannot say."""
    if not since or not all(c in "0123456789abcdef" for c in since):
        return None
    done = _git(folder, "diff", "--name-only", "--no-renames", f"{since}", "HEAD", "--")
    if done.returncode != 0:
        return None
    return [line for line in done.stdout.splitlines() if line]


@contextlib.contextmanager
def worktree_at(repository: Path, commit: str) -> Iterator[Path]:
    """A detached worktree of COMMIT (hex) of the repository holding REPOSITORY, removed when done."""
    if not commit or not all(c in "0123456789abcdef" for c in commit):
        raise BadInput(f"commit {commit!r}: expected a hexadecimal commit id")
    top = _git(repository, "rev-parse", "--show-toplevel")
    if top.returncode != 0:
        raise BadInput(f"{repository} is not in a git repository: a retrain needs the source version's commit")
    root = Path(top.stdout.strip())
    folder = Path(tempfile.mkdtemp(prefix="stageward-retrain-"))  # 0700
    tree = folder / "tree"
    added = _git(root, "worktree", "add", "--detach", "--quiet", str(tree), commit)
    if added.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        raise NotFound(f"commit {commit[:12]} is not in the repository at {root}: fetch it first")
    try:
        yield tree / repository.resolve().relative_to(root.resolve())
    finally:
        _git(root, "worktree", "remove", "--force", str(tree))
        shutil.rmtree(folder, ignore_errors=True)
        _git(root, "worktree", "prune")
