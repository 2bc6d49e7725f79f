"""Blobs in a local folder: sha256/ab/cdef..., written to tmp/ first, then renamed into place.

A temporary is leased by the process writing it: an exclusive flock held on it from
creation until it is renamed into place or removed. `gc` removes only temporaries whose
lease it can take itself, under that lease, so it never removes what a live upload
holds; a crashed uploader's lease ends with its process, and gc then reclaims the file.

A published blob is kept by an upload that finds it already there: under a shared flock
the upload checks it is still linked and sets its mtime to now. `gc --blobs` removes a
blob only under an exclusive flock, after seeing its mtime still past the grace period,
so a blob an upload has just kept is never removed under it.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import io
import os
import queue
import stat
import tempfile
import threading
import time
from collections.abc import Callable, Collection, Iterator
from pathlib import Path
from typing import BinaryIO, cast

from stageward.errors import CheckFailed, NotFound, StoreError
from stageward.private_paths import make_private_folder
from stageward.store.blobs.base import BlobInfo, StoredBlob, check_digest

_COPY_CHUNK = 64 * 1024 * 1024
_HASH_CHUNK = 4 * 1024 * 1024


class _Window(io.RawIOBase):
    """LENGTH bytes at most of the file at PATH from OFFSET (a seek): a blob's range and nothing past it."""

    def __init__(self, path: Path, offset: int, length: int) -> None:
        super().__init__()
        self._handle = io.FileIO(path, "r")
        try:
            self._handle.seek(offset)
        except BaseException:
            self._handle.close()
            raise
        self._left = max(length, 0)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._left == 0:
            return 0
        with memoryview(buffer) as view:
            count = self._handle.readinto(view[: self._left]) or 0
        self._left -= count
        return count

    def close(self) -> None:
        self._handle.close()
        super().close()


def _copy_range(source_fd: int, target_fd: int, offset: int, length: int) -> int:
    """Copy LENGTH bytes at OFFSET between descriptors inside the kernel where it can; 0 at the end."""
    try:
        return os.copy_file_range(source_fd, target_fd, length, offset, offset)
    except OSError:
        data = os.pread(source_fd, length, offset)
        return os.pwrite(target_fd, data, offset) if data else 0


def _write_failed(store: FileBlobStore, exc: OSError) -> StoreError:
    """A failed write (disk full, quota, I/O error, no permission) as one line naming the store and the reason."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    return StoreError(f"blob store {store.url}: cannot write a blob ({reason}); nothing was published")


def _leased_temporary(store: FileBlobStore, prefix: str) -> tuple[int, Path]:
    """A new temporary in tmp/, with its lease (an exclusive flock) taken.

    gc may remove a temporary in the instant between its creation and the lease; it then
    is no longer linked, and a fresh one is made.
    """
    while True:
        fd, name = tempfile.mkstemp(dir=store.temporary_dir, prefix=prefix)
        fcntl.flock(fd, fcntl.LOCK_EX)  # waits out a gc that holds it for the instant of its removal
        if os.fstat(fd).st_nlink > 0:
            return fd, Path(name)
        os.close(fd)


def _is_digest(text: str) -> bool:
    return len(text) == 64 and all(c in "0123456789abcdef" for c in text)


def _publish(temporary: Path, final: Path) -> None:
    """Rename TEMPORARY to FINAL (atomic within one file system: the blob is never half there)."""
    make_private_folder(final.parent)
    os.chmod(temporary, 0o444)
    os.replace(temporary, final)


class FileBlobWriter:
    def __init__(self, store: FileBlobStore, expected_sha256: str | None = None) -> None:
        self._store = store
        self._expected = check_digest(expected_sha256) if expected_sha256 else None
        try:
            fd, self._path = _leased_temporary(store, "upload-")
        except OSError as exc:
            raise _write_failed(store, exc) from None
        # The lease lives as long as this file object: it is closed only once the temporary is gone.
        self._file = os.fdopen(fd, "wb")
        self._hash = hashlib.sha256()
        self._size = 0
        self._done = False

    def write(self, data: bytes) -> int:
        self._hash.update(data)
        self._size += len(data)
        try:
            return self._file.write(data)
        except OSError as exc:
            self.abort()
            raise _write_failed(self._store, exc) from None

    def commit(self) -> BlobInfo:
        try:
            info = self._commit()
        except OSError as exc:
            self.abort()
            raise _write_failed(self._store, exc) from None
        except BaseException:
            self.abort()
            raise
        return info

    def _commit(self) -> BlobInfo:
        self._file.flush()
        os.fsync(self._file.fileno())
        info = BlobInfo(self._hash.hexdigest(), self._size)
        if self._expected is not None and info.sha256 != self._expected:
            raise CheckFailed(
                f"blob written to {self._store.url} has sha256:{info.sha256[:12]}, expected "
                f"sha256:{self._expected[:12]}; nothing was published"
            )
        final = self._store.path_of(info.sha256)
        if self._store.keep(info.sha256):
            self._path.unlink(missing_ok=True)
        else:
            _publish(self._path, final)
        self._done = True
        self._file.close()  # ends the lease, now that the temporary is gone
        return info

    def abort(self) -> None:
        if not self._done:
            self._done = True
            self._path.unlink(missing_ok=True)
            with contextlib.suppress(OSError):  # a full disk may refuse the buffered rest; it is dropped
                self._file.close()


class FileBlobStore:
    files_in_flight = 1  # a local copy is no round trip: one at a time keeps the disk's writes in order
    small_file_bytes = 0

    def __init__(self, root: Path) -> None:
        self.root = root
        self.url = f"file://{root}"
        self.temporary_dir = root / "tmp"
        try:
            make_private_folder(self.temporary_dir)
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

    def local_file(self, digest: str) -> Path | None:
        return self.path_of(digest)

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
        if self.keep(expected_sha256):
            return BlobInfo(expected_sha256, final.stat().st_size)
        try:
            fd, temporary = _leased_temporary(self, "copy-")
        except OSError as exc:
            raise _write_failed(self, exc) from None
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

        size = 0
        try:
            source_file = open(source, "rb")  # noqa: SIM115 - closed below, apart from the target's errors
        except OSError:
            temporary.unlink(missing_ok=True)
            os.close(fd)
            raise
        hasher = threading.Thread(target=hash_ranges, name="stageward-rehash")
        hasher.start()
        try:
            try:
                with source_file:
                    while True:
                        copied = _copy_range(source_file.fileno(), fd, size, _COPY_CHUNK)
                        if copied == 0:
                            break
                        ranges.put((size, copied))
                        size += copied
                        advance(copied)
                os.fsync(fd)
            finally:
                ranges.put(None)
                hasher.join()
            if failures:
                raise failures[0]
            if digest.hexdigest() != expected_sha256:
                raise CheckFailed(
                    f"copy of {source} into {self.url} hashes to sha256:{digest.hexdigest()[:12]}, expected "
                    f"sha256:{expected_sha256[:12]}; nothing was published"
                )
            _publish(temporary, final)
        except OSError as exc:
            temporary.unlink(missing_ok=True)
            raise _write_failed(self, exc) from None
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        finally:
            os.close(fd)  # ends the lease, once the temporary is published or gone
        return BlobInfo(expected_sha256, size)

    def open_read(self, digest: str) -> BinaryIO:
        try:
            return open(self.path_of(digest), "rb")
        except FileNotFoundError:
            raise NotFound(f"blob sha256:{digest[:12]} is missing from {self.url}") from None

    def open_range(self, digest: str, offset: int, length: int) -> BinaryIO:
        try:
            return cast(BinaryIO, _Window(self.path_of(digest), offset, length))
        except FileNotFoundError:
            raise NotFound(f"blob sha256:{digest[:12]} is missing from {self.url}") from None

    def exists(self, digest: str) -> bool:
        return self.path_of(digest).is_file()

    def existing(self, digests: Collection[str]) -> set[str]:
        return {digest for digest in set(digests) if self.exists(digest)}  # a stat each: no round trip to save

    def size(self, digest: str) -> int:
        try:
            return self.path_of(digest).stat().st_size
        except FileNotFoundError:
            raise NotFound(f"blob sha256:{digest[:12]} is missing from {self.url}") from None

    def keep(self, digest: str) -> bool:
        """Whether blob DIGEST is here, its mtime set to now under a shared flock (gc removes under an
        exclusive one), so its grace period against `gc --blobs` starts again."""
        path = self.path_of(digest)
        try:
            descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:
            return False
        try:
            fcntl.flock(descriptor, fcntl.LOCK_SH)
            if os.fstat(descriptor).st_nlink == 0:
                return False  # removed by gc while we waited for the lock
            os.utime(descriptor)
            return True
        finally:
            os.close(descriptor)

    def kept(self, digests: Collection[str]) -> set[str]:
        return {digest for digest in set(digests) if self.keep(digest)}

    def published_blobs(self) -> Iterator[StoredBlob]:
        """Every blob under sha256/, with its mtime; anything else there is not Stageward's and is skipped."""
        top = self.root / "sha256"
        if not top.is_dir():
            return
        for folder in sorted(top.iterdir()):
            if len(folder.name) != 2 or not folder.is_dir() or folder.is_symlink():
                continue
            for entry in sorted(folder.iterdir()):
                digest = folder.name + entry.name
                if not _is_digest(digest):
                    continue
                with contextlib.suppress(FileNotFoundError):
                    found = entry.lstat()
                    if stat.S_ISREG(found.st_mode):
                        yield StoredBlob(digest, found.st_size, found.st_mtime)

    def remove_blob(self, digest: str, modified_before: float) -> bool:
        """Remove blob DIGEST under an exclusive flock if its mtime is still before MODIFIED_BEFORE."""
        path = self.path_of(digest)
        try:
            descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:
            return False
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            found = os.fstat(descriptor)
            if found.st_nlink == 0 or found.st_mtime >= modified_before:
                return False  # gone, or kept by an upload since it was listed
            path.unlink()
            return True
        finally:
            os.close(descriptor)

    def temporary_objects(self, older_than_seconds: float) -> Iterator[str]:
        """Temporaries older than the cutoff that no live upload holds (their lease is free)."""
        cutoff = time.time() - older_than_seconds
        for entry in self.temporary_dir.iterdir():
            with contextlib.suppress(FileNotFoundError):  # published or removed meanwhile
                if entry.stat().st_mtime < cutoff and self._unleased(entry, remove=False):
                    yield entry.name

    def remove_temporary(self, name: str) -> bool:
        """Remove temporary NAME under its lease; False when a live upload holds it (or it is gone)."""
        return self._unleased(self.temporary_dir / Path(name).name, remove=True)

    @staticmethod
    def _unleased(path: Path, *, remove: bool) -> bool:
        """Whether PATH is a temporary no one holds, removing it under its lease when REMOVE.

        Only regular files are considered; anything else in tmp/ is not Stageward's and is left.
        """
        try:
            descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            return False  # gone, a symlink, or not ours to open
        try:
            if not stat.S_ISREG(os.fstat(descriptor).st_mode):
                return False
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False  # a live upload holds it
            if remove:
                path.unlink(missing_ok=True)
            return True
        finally:
            os.close(descriptor)
