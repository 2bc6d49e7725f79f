"""The config steps of `stageward demo` run on the scaffolded project and check what they observe."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from stageward.demo import run_demo


def test_the_demo_walks_the_config_steps(tmp_path, monkeypatch):
    for name in ("STAGEWARD_STORE", "STAGEWARD_URL", "STAGEWARD_ENV"):
        monkeypatch.delenv(name, raising=False)
    said: list[str] = []
    assert run_demo(tmp_path / "demo", said.append) == 0, "\n".join(said)
    text = "\n".join(said)
    assert "data.sample_fraction: intentional; data.output: own data store" in text
    planted = "exit 1: production: conf/production/main.yaml:4 data.output: file://./data/development/out"
    assert planted in text
    assert "config check: no findings in sandbox, development, staging, production" in text
    # In-process too, the retrain's pipeline (another process) sees the run this process recorded.
    assert "alice executes it: retrain run " in text and "registered production/model:1 (auc 0.855 -> 0.87)" in text


def _my_locks_on(path: Path) -> int:
    """POSIX locks this process holds on PATH (/proc/locks: ... PID MAJOR:MINOR:INODE ...)."""
    inode = f":{os.stat(path).st_ino}"
    fields = [line.split() for line in Path("/proc/locks").read_text().splitlines()]
    return sum(1 for f in fields if f[1] == "POSIX" and f[4] == str(os.getpid()) and f[5].endswith(inode))


@pytest.mark.skipif(not Path("/proc/locks").exists(), reason="reads the locks this process holds from /proc")
def test_the_demo_looks_into_the_store_files_without_dropping_this_process_sqlite_locks(tmp_path, monkeypatch):
    """Reading the database file here would drop this process's POSIX locks on it: a run's process would then
    delete the WAL this process still writes to, and its commits would vanish for every other process."""
    from stageward.client import Client, LocalTransport
    from stageward.demo.secrets import DEMO_VALUE, _in_store_files
    from stageward.testing import write_project

    for name in ("STAGEWARD_STORE", "STAGEWARD_URL", "STAGEWARD_ENV"):
        monkeypatch.delenv(name, raising=False)
    root = tmp_path / "project"
    write_project(root)
    with Client(LocalTransport(root, principal="alice")) as client:
        client.call("env.list")
        database = root / ".stageward" / "stageward.db"
        held = _my_locks_on(database)
        assert held >= 1  # WAL mode: an open connection holds a shared lock on the database file
        assert _in_store_files(root / ".stageward") is False
        assert _my_locks_on(database) == held
        database.read_bytes()  # what the demo did before: the locks are gone
        assert _my_locks_on(database) == 0
    (root / ".stageward" / "planted").write_text("x")
    (root / ".stageward" / "stageward.db-planted").write_text(f"..{DEMO_VALUE}..")
    assert _in_store_files(root / ".stageward") is True
