"""Blobs in a local folder: sha256/ab/cdef..., written to tmp/ first, then renamed into place."""

from __future__ import annotations

import hashlib
import os
import queue
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from stageward.errors import CheckFailed, NotFound, StoreError
from stageward.store.blobs.base import BlobInfo, check_digest

_COPY_CHUNK = 64 * 1024 * 1024
_HASH_CHUNK = 4 * 1024 * 1024


def _copy_range(source_fd: int, target_fd: int, offset: int, length: int) -> int:
    """Copy LENGTH bytes at OFFSET between descriptors inside the kernel where it can; 0 at the end."""
    try:
        return os.copy_file_range(source_fd, target_fd, length, offset, offset)
    except OSError:
        data = os.pread(source_fd, length, offset)
        return os.pwrite(target_fd, data, offset) if data else 0


class FileBlobWriter:
    def __init__(self, store: FileBlobStore, expected_sha256: str | None = None) -> None:
        self._store = store
        self._expected = check_digest(expected_sha256) if expected_sha256 else None
        fd, name = tempfile.mkstemp(dir=store.temporary_dir, prefix="upload-")
        self._path = Path(name)
        self._file = os.fdopen(fd, "wb")
        self._hash = hashlib.sha256()
        self._size = 0
        self._done = False

    def write(self, data: bytes) -> int:
        self._hash.update(data)
        self._size += len(data)
        return self._file.write(data)

    def commit(self) -> BlobInfo:
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        info = BlobInfo(self._hash.hexdigest(), self._size)
        if self._expected is not None and info.sha256 != self._expected:
            self._path.unlink(missing_ok=True)
            self._done = True
            raise CheckFailed(
                f"blob written to {self._store.url} has sha256:{info.sha256[:12]}, expected "
                f"sha256:{self._expected[:12]}; nothing was published"
            )
        final = self._store.path_of(info.sha256)
        if final.exists():
            self._path.unlink(missing_ok=True)
        else:
            final.parent.mkdir(parents=True, exist_ok=True)
            os.chmod(self._path, 0o444)
            # rename is atomic within one file system: the blob is never half there.
            os.replace(self._path, final)
        self._done = True
        return info

    def abort(self) -> None:
        if not self._done:
            self._file.close()
            self._path.unlink(missing_ok=True)
            self._done = True


class FileBlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.url = f"file://{root}"
        self.temporary_dir = root / "tmp"
        try:
            self.temporary_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"blob store {self.url}: cannot use {self.temporary_dir} as a folder "
                f"({exc.strerror or type(exc).__name__})"
            ) from None

    @classmethod
    def from_url(cls, url: str, *, base: Path | None = None) -> FileBlobStore:
        raw = url.removeprefix("file://")
        path = Path(raw)
        if not path.is_absolute():
            path = (base or Path.cwd()) / path
        return cls(path.resolve())

    def path_of(self, digest: str) -> Path:
        check_digest(digest)
        return self.root / "sha256" / digest[:2] / digest[2:]

    def open_write(self, expected_sha256: str | None = None) -> FileBlobWriter:
        return FileBlobWriter(self, expected_sha256)

    def import_local_file(
        self, source: Path, expected_sha256: str, advance: Callable[[int], None]
    ) -> BlobInfo:
        """Copy a local file in as blob EXPECTED_SHA256, re-hashing the bytes where they landed.

        The kernel copies (copy_file_range: no bytes pass through Python) while a second
        thread hashes each copied range read back from the destination, so the copy and its
        verification overlap; the blob is published only if the digest holds.
        """
        check_digest(expected_sha256)
        final = self.path_of(expected_sha256)
        if final.exists():
            return BlobInfo(expected_sha256, final.stat().st_size)
        fd, name = tempfile.mkstemp(dir=self.temporary_dir, prefix="copy-")
        temporary = Path(name)
        digest = hashlib.sha256()
        ranges: queue.Queue[tuple[int, int] | None] = queue.Queue()

        failures: list[BaseException] = []

        def hash_ranges() -> None:
            try:
                with open(temporary, "rb", buffering=0) as landed:
                    while (span := ranges.get()) is not None:
                        offset, length = span
                        while length > 0:
                            chunk = os.pread(landed.fileno(), min(length, _HASH_CHUNK), offset)
                            if not chunk:
                                raise OSError(f"{temporary} is shorter than what was copied into it")
                            digest.update(chunk)
                            offset += len(chunk)
                            length -= len(chunk)
                        # Flush each range while the next is copied, so the last fsync finds little to do.
                        os.fdatasync(fd)
            except BaseException as exc:
                failures.append(exc)
                while ranges.get() is not None:  # let the copier finish its puts
                    pass

        hasher = threading.Thread(target=hash_ranges, name="stageward-rehash")
        hasher.start()
        size = 0
        try:
            try:
                with open(source, "rb") as src:
                    while True:
                        copied = _copy_range(src.fileno(), fd, size, _COPY_CHUNK)
                        if copied == 0:
                            break
                        ranges.put((size, copied))
                        size += copied
                        advance(copied)
                os.fsync(fd)
            finally:
                ranges.put(None)
                hasher.join()
                os.close(fd)
            if failures:
                raise failures[0]
            if digest.hexdigest() != expected_sha256:
                raise CheckFailed(
                    f"copy of {source} into {self.url} hashes to sha256:{digest.hexdigest()[:12]}, expected "
                    f"sha256:{expected_sha256[:12]}; nothing was published"
                )
            final.parent.mkdir(parents=True, exist_ok=True)
            os.chmod(temporary, 0o444)
            os.replace(temporary, final)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        return BlobInfo(expected_sha256, size)

    def open_read(self, digest: str) -> BinaryIO:
        try:
            return open(self.path_of(digest), "rb")
        except FileNotFoundError:
            raise NotFound(f"blob sha256:{digest[:12]} is missing from {self.url}") from None

    def exists(self, digest: str) -> bool:
        return self.path_of(digest).is_file()

    def size(self, digest: str) -> int:
        try:
            return self.path_of(digest).stat().st_size
        except FileNotFoundError:
            raise NotFound(f"blob sha256:{digest[:12]} is missing from {self.url}") from None

    def temporary_objects(self, older_than_seconds: float) -> Iterator[str]:
        cutoff = time.time() - older_than_seconds
        for entry in self.temporary_dir.iterdir():
            if entry.stat().st_mtime < cutoff:
                yield entry.name

    def remove_temporary(self, name: str) -> None:
        (self.temporary_dir / Path(name).name).unlink(missing_ok=True)
