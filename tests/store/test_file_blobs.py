"""The file blob store: content-addressed, never half there."""

import hashlib
import io
from pathlib import Path

import pytest

from stageward.errors import BadInput, NotFound
from stageward.store.blobs import open_blob_store
from stageward.store.blobs.base import put_stream


def test_put_then_read_by_digest(tmp_path: Path):
    store = open_blob_store("file://blobs", base=tmp_path)
    data = b"model weights" * 1000
    info = put_stream(store, io.BytesIO(data))
    assert info.sha256 == hashlib.sha256(data).hexdigest() and info.size == len(data)
    assert store.exists(info.sha256)
    with store.open_read(info.sha256) as handle:
        assert handle.read() == data
    assert list((tmp_path / "blobs" / "tmp").iterdir()) == []


def test_same_content_twice_is_stored_once(tmp_path: Path):
    store = open_blob_store(f"file://{tmp_path}")
    first = put_stream(store, io.BytesIO(b"x" * 10))
    second = put_stream(store, io.BytesIO(b"x" * 10))
    assert first == second
    assert len(list((tmp_path / "sha256").rglob("*"))) == 2  # one folder, one file


def test_an_aborted_write_leaves_nothing_visible(tmp_path: Path):
    store = open_blob_store(f"file://{tmp_path}")

    class Broken(io.RawIOBase):
        def __init__(self) -> None:
            self.calls = 0

        def read(self, size: int = -1) -> bytes:
            self.calls += 1
            if self.calls > 2:
                raise OSError("disk went away")
            return b"a" * 1024

    with pytest.raises(OSError):
        put_stream(store, Broken())  # type: ignore[arg-type]
    assert list((tmp_path / "tmp").iterdir()) == []
    assert not (tmp_path / "sha256").exists()


def test_missing_blob_and_malformed_digest(tmp_path: Path):
    store = open_blob_store(f"file://{tmp_path}")
    with pytest.raises(NotFound, match="blob sha256:000000000000 is missing"):
        store.open_read("0" * 64)
    with pytest.raises(BadInput, match="is not a sha256 digest"):
        store.exists("../../etc/passwd")


def test_unknown_scheme():
    with pytest.raises(BadInput, match="blob store URL 'ftp://x': unsupported scheme"):
        open_blob_store("ftp://x")


def test_a_range_is_read_from_its_offset_and_stops_at_its_length(tmp_path: Path):
    store = open_blob_store("file://blobs", base=tmp_path)
    data = bytes(range(256)) * 64
    digest = put_stream(store, io.BytesIO(data)).sha256
    with store.open_range(digest, len(data) - 10, 10) as tail:
        assert tail.read(4) == data[-10:-6]
        assert tail.read() == data[-6:]
        assert tail.read() == b""
    with store.open_range(digest, 5, 3) as middle:
        assert middle.read(100) == data[5:8]  # the window ends the read, not the file
        assert middle.read(1) == b""
    with store.open_range(digest, len(data) - 1, 50) as past_the_end:
        assert past_the_end.read() == data[-1:]  # fewer where the blob ends first
    with store.open_range(digest, 0, len(data)) as whole:
        assert whole.read() == data
    with store.open_range(digest, 3, 0) as nothing:
        assert nothing.read() == b""
    with pytest.raises(NotFound, match="missing"):
        store.open_range("0" * 64, 0, 1)
