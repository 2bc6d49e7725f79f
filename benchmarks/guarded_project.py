"""The guarded environment the run benchmarks share (benchmarks/runs.py, benchmarks/ray_runs.py): every guardrail
on (ref, clean tree, pinned image, data access, concurrency quota, budget, vulnerability scan)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

DIGEST = "sha256:" + "ab" * 32
IMAGE = f"ghcr.io/acme/train@{DIGEST}"

PROJECT = f"""\
project: bench
environments:
  guarded:
    tier: production
    refs: ["refs/heads/main"]
    require_clean_tree: true
    images: ["{IMAGE}"]
    vulnerability_scan: {{lockfile: requirements.lock, advisories: advisories/, fail_on: [HIGH, CRITICAL]}}
    quotas: {{max_concurrent_runs: 4, monthly_budget: 1000}}
    cost: {{per_cpu_hour: 0.05}}
    data:
      features: {{uri: "s3://bench/features", access: read}}
  sandbox:
    tier: sandbox
"""


def _git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(root), "-c", "user.name=b", "-c", "user.email=b@example.com", *args],
        check=True,
        capture_output=True,
    )


def guarded_project(root: Path, write_advisories: Callable[[Path], None]) -> Path:
    """ROOT as a committed checkout on main: the project, a 30-pin lockfile, the advisories WRITE_ADVISORIES puts
    in the folder it is given."""
    root.mkdir()
    (root / "stageward.yaml").write_text(PROJECT)
    (root / "requirements.lock").write_text("".join(f"dep{i}=={i}.0\n" for i in range(30)))
    (root / "advisories").mkdir()
    write_advisories(root / "advisories")
    (root / ".gitignore").write_text(".stageward/\n")
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "bench")
    return root
