"""Where the code of a run comes from: its commit, the ref it was launched from, and whether the tree is clean.

A detached HEAD (as CI checks out) names its ref through the CI's own variables: GITHUB_REF on GitHub Actions,
CI_COMMIT_TAG / CI_COMMIT_BRANCH on GitLab. Local mode trusts the machine (SPEC §2), these variables included.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from stageward.registry.gitinfo import head_commit


@dataclass(frozen=True)
class GitState:
    commit: str | None
    ref: str | None
    dirty: bool | None  # None outside a git working tree


def _git(folder: Path, *arguments: str) -> subprocess.CompletedProcess[str] | None:
    try:
        return subprocess.run(
            ["git", "-C", str(folder), *arguments], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None


def ci_ref(environ: Mapping[str, str]) -> str | None:
    if environ.get("GITHUB_REF", "").startswith("refs/"):
        return environ["GITHUB_REF"]
    if environ.get("CI_COMMIT_TAG"):
        return f"refs/tags/{environ['CI_COMMIT_TAG']}"
    if environ.get("CI_COMMIT_BRANCH"):
        return f"refs/heads/{environ['CI_COMMIT_BRANCH']}"
    return None


def read_state(folder: Path, environ: Mapping[str, str]) -> GitState:
    commit = head_commit(folder)
    if commit is None:
        return GitState(None, None, None)
    symbolic = _git(folder, "symbolic-ref", "-q", "HEAD")
    ref = symbolic.stdout.strip() if symbolic is not None and symbolic.returncode == 0 else None
    ref = ref or ci_ref(environ)
    # Untracked files count: the run could import them. Ignored files (.stageward/, caches) do not.
    status = _git(folder, "status", "--porcelain")
    dirty = None if status is None or status.returncode != 0 else bool(status.stdout.strip())
    return GitState(commit, ref, dirty)
