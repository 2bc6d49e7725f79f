"""The store's folder, database, blobs and master key are private whatever the umask (here 000)."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

from stageward.testing import write_project

STAGEWARD = str(Path(sys.executable).parent / "stageward")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _run_under_umask_0(root: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("STAGEWARD_")}
    environ["STAGEWARD_USER"] = "alice"
    return subprocess.run(
        [STAGEWARD, *args],
        cwd=root,
        env=environ,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=lambda: os.umask(0),  # the point of the test: the child runs under umask 000
    )


def test_under_umask_000_the_store_and_the_key_are_private(tmp_path: Path, private_config_home: Path):
    root = tmp_path / "project"
    write_project(root)
    (root / "model.bin").write_bytes(b"weights")
    for args, stdin in [
        (("secrets", "set", "DB_PASSWORD", "--env", "production"), "s3cr3t"),
        (("model", "register", "ranker", "model.bin", "--env", "sandbox"), None),
    ]:
        result = _run_under_umask_0(root, *args, stdin=stdin)
        assert result.returncode == 0, result.stderr
    store = root / ".stageward"
    assert _mode(store) == 0o700
    assert _mode(store / "stageward.db") == 0o600
    assert _mode(store / "blobs") == 0o700 and _mode(store / "blobs" / "tmp") == 0o700
    assert {_mode(p) for p in (store / "blobs" / "sha256").rglob("*") if p.is_dir()} == {0o700}
    # The master key lives apart from the store, in a private folder of the user's configuration.
    assert not (store / "master.key").exists()
    keys = list((private_config_home / "stageward").iterdir())
    assert len(keys) == 1 and _mode(keys[0]) == 0o600
    assert _mode(private_config_home) == 0o700 and _mode(private_config_home / "stageward") == 0o700
    # SQLite gives its -wal and -shm files the database's mode: look while a writer holds them.
    old_umask = os.umask(0)
    try:
        connection = sqlite3.connect(store / "stageward.db")
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("CREATE TABLE probe (x INTEGER)")
        connection.commit()
        assert _mode(store / "stageward.db-wal") == 0o600 and _mode(store / "stageward.db-shm") == 0o600
        connection.close()
    finally:
        os.umask(old_umask)


def test_an_existing_folder_keeps_its_mode(tmp_path: Path):
    """A folder the store is put in on purpose (a team's shared folder) is not re-moded."""
    root = tmp_path / "project"
    write_project(root)
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o750)
    environ = {k: v for k, v in os.environ.items() if not k.startswith("STAGEWARD_")}
    environ.update(STAGEWARD_USER="alice", STAGEWARD_STORE=f"sqlite:///{shared / 'sub' / 'store.db'}")
    result = subprocess.run([STAGEWARD, "env", "list"], cwd=root, env=environ, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert _mode(shared) == 0o750 and _mode(shared / "sub") == 0o700 and _mode(shared / "sub" / "store.db") == 0o600
