"""A blob store that cannot take a write (disk full, I/O error): one line naming the store, nothing half-published."""

from __future__ import annotations

import errno
import io
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from stageward.errors import StoreError
from stageward.store.blobs import open_blob_store
from stageward.store.blobs.base import put_stream
from stageward.testing import write_project

STAGEWARD = str(Path(sys.executable).parent / "stageward")


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 1 MiB file system (tmpfs), where it can be mounted (root in a container)."""
    mount_point = tmp_path / "tiny"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount_point)], capture_output=True, check=False
    )
    if mounted.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root); the simulated disk-full test covers this")
    yield mount_point
    subprocess.run(["umount", str(mount_point)], check=False)


def test_a_full_disk_during_register_is_one_line_naming_the_store(tmp_path: Path, tiny_disk: Path):
    root = tmp_path / "project"
    write_project(root)
    (root / "big.bin").write_bytes(os.urandom(2 * 1024 * 1024))
    environ = {k: v for k, v in os.environ.items() if not k.startswith("STAGEWARD_")}
    environ.update(STAGEWARD_USER="alice", STAGEWARD_BLOBS=f"file://{tiny_disk / 'blobs'}")
    result = subprocess.run(
        [STAGEWARD, "model", "register", "ranker", "big.bin", "--env", "sandbox"],
        cwd=root,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [
        f"error: blob store file://{tiny_disk / 'blobs'}: cannot write a blob (No space left on device); "
        "nothing was published"
    ]
    assert list((tiny_disk / "blobs" / "tmp").iterdir()) == []
    assert [p for p in (tiny_disk / "blobs").rglob("*") if p.is_file()] == []  # nothing published


def test_a_full_disk_through_the_streaming_writer(tiny_disk: Path):
    store = open_blob_store(f"file://{tiny_disk / 'blobs'}")
    with pytest.raises(StoreError) as caught:
        put_stream(store, io.BytesIO(os.urandom(2 * 1024 * 1024)))
    assert caught.value.exit_code == 2
    assert caught.value.message == (
        f"blob store {store.url}: cannot write a blob (No space left on device); nothing was published"
    )
    assert list((tiny_disk / "blobs" / "tmp").iterdir()) == []


@pytest.mark.parametrize(
    ("code", "reason"), [(errno.ENOSPC, "No space left on device"), (errno.EDQUOT, "Disk quota exceeded")]
)
def test_a_write_refused_by_the_os_is_simulated_anywhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code, reason):
    """Without root: the kernel's refusal is simulated where the bytes reach the file system."""
    from stageward.store.blobs import file as file_store

    store = file_store.FileBlobStore(tmp_path / "blobs")
    source = tmp_path / "w.bin"
    source.write_bytes(b"weights" * 1000)

    def refuse(*_args: object) -> int:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(file_store, "_copy_range", refuse)
    with pytest.raises(StoreError, match=rf"^blob store file://.*: cannot write a blob \({reason}\); nothing was"):
        store.import_local_file(source, "0" * 64, lambda _n: None)
    assert list((tmp_path / "blobs" / "tmp").iterdir()) == []


def test_an_s3_failure_at_the_socket_is_one_line_and_aborts_the_upload(s3_bucket, moto_server):
    from stageward.store.blobs import s3 as s3_module

    store = open_blob_store(f"s3://{s3_bucket}/p{uuid.uuid4().hex[:6]}")
    writer = store.open_write()

    def reset(**_kwargs: object) -> None:
        raise ConnectionResetError(errno.ECONNRESET, os.strerror(errno.ECONNRESET))

    real = store.client.upload_part  # type: ignore[attr-defined]
    store.client.upload_part = reset  # type: ignore[attr-defined]
    try:
        with pytest.raises(StoreError) as caught:
            # Parts upload on threads: the failure surfaces at a later write or, as here, at commit.
            writer.write(b"x" * (s3_module.PART_SIZE + 1))
            writer.commit()
    finally:
        store.client.upload_part = real  # type: ignore[attr-defined]
    assert caught.value.message == f"blob store {store.url}: S3 request failed (Connection reset by peer)"
    uploads = store.client.list_multipart_uploads(Bucket=s3_bucket).get("Uploads", [])  # type: ignore[attr-defined]
    assert uploads == []  # aborted at once, not left for gc
