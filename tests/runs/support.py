"""A project for run tests: a sandbox with a secret in its config, a guarded production, a git repository."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from stageward.testing import write_project

DIGEST = "sha256:" + "4f" * 32
RUNS_PROJECT = f"""\
project: lp-runs
team: lp
pipelines:
  train: python train.py
environments:
  sandbox:
    tier: sandbox
    quotas: {{max_concurrent_runs: 1}}
    cost: {{per_cpu_hour: 3600, tags: {{cost_center: CC-1}}}}
    data:
      scratch: {{uri: "file://./data/sandbox", access: read-write}}
      features: {{uri: "s3://lp/features", access: read}}
  production:
    tier: production
    refs: ["refs/heads/main"]
    images: ["ghcr.io/acme/train@{DIGEST}"]
    vulnerability_scan: {{lockfile: requirements.lock, advisories: advisories/, fail_on: [HIGH, CRITICAL]}}
    quotas: {{max_concurrent_runs: 2, monthly_budget: 300}}
    data:
      features: {{uri: "s3://lp/features", access: read}}
"""
SECRET = "s3cr3t-V@lue/with+signs"


def git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def make_project(root: Path, text: str = RUNS_PROJECT) -> Path:
    """ROOT as a committed git repository on main with the runs project, its config and a clean lockfile."""
    write_project(root, text)
    (root / "conf" / "base").mkdir(parents=True, exist_ok=True)
    (root / "conf" / "base" / "app.yaml").write_text("db:\n  password: ${secret:DB_PASSWORD}\n  host: db.local\n")
    (root / "requirements.lock").write_text("requests==2.31.0\n")
    (root / "advisories").mkdir(exist_ok=True)
    (root / "advisories" / "GHSA-old.json").write_text(
        '{"id": "GHSA-old", "affected": [{"package": {"ecosystem": "PyPI", "name": "requests"}, '
        '"ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.31.0"}]}]}], '
        '"database_specific": {"severity": "HIGH"}}'
    )
    (root / ".gitignore").write_text(".stageward/\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "initial")
    return root


def wait_for(predicate: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("timed out")
