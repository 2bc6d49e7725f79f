"""gc never removes what a live upload holds (its lease: a flock on the temporary); a crashed upload's it does."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

from stageward.store.blobs.file import FileBlobStore
from stageward.testing import write_project

STAGEWARD = str(Path(sys.executable).parent / "stageward")


def _gc(root: Path) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("STAGEWARD_")}
    environ["STAGEWARD_USER"] = "alice"
    return subprocess.run(
        [STAGEWARD, "gc", "--older-than", "0"], cwd=root, env=environ, capture_output=True, text=True, timeout=60
    )


def test_gc_older_than_0_during_an_upload_leaves_it_whole(tmp_path: Path):
    root = tmp_path / "project"
    write_project(root)
    store = FileBlobStore(root / ".stageward" / "blobs")
    data = os.urandom(3 * 1024 * 1024)
    writer = store.open_write(hashlib.sha256(data).hexdigest())
    writer.write(data[: len(data) // 2])
    collected = _gc(root)
    assert collected.returncode == 0, collected.stderr
    assert collected.stdout.strip() == "removed 0 temporary blob(s)"
    writer.write(data[len(data) // 2 :])
    info = writer.commit()
    with store.open_read(info.sha256) as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == hashlib.sha256(data).hexdigest()
    assert list(store.temporary_dir.iterdir()) == []


def test_a_crashed_upload_is_reclaimed(tmp_path: Path):
    root = tmp_path / "project"
    write_project(root)
    store = FileBlobStore(root / ".stageward" / "blobs")
    crashed = subprocess.run(
        [
            sys.executable,
            "-c",
            "import os, sys; from stageward.store.blobs.file import FileBlobStore;"
            "w = FileBlobStore.from_url(sys.argv[1]).open_write(); w.write(b'half'); w._file.flush(); os._exit(9)",
            f"file://{store.root}",
        ],
        check=False,
    )
    assert crashed.returncode == 9
    assert len(list(store.temporary_dir.iterdir())) == 1  # its lease ended with its process
    collected = _gc(root)
    assert collected.returncode == 0, collected.stderr
    assert collected.stdout.strip() == "removed 1 temporary blob(s)"
    assert list(store.temporary_dir.iterdir()) == []


def test_a_lease_taken_between_listing_and_removal_wins(tmp_path: Path):
    store = FileBlobStore(tmp_path / "blobs")
    stale = store.temporary_dir / "upload-stale"
    stale.write_bytes(b"x")
    listed = list(store.temporary_objects(0))
    assert listed == ["upload-stale"]
    import fcntl

    with open(stale, "rb") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # an upload holds it again
        assert store.remove_temporary("upload-stale") is False
    assert stale.exists()
    assert store.remove_temporary("upload-stale") is True and not stale.exists()
