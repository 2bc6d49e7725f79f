"""The blob store interface: write a stream (hashing it), read by digest, ask if present; and copy_blob,
the one routine that copies bytes into a store (an upload from a local file, a promotion from another store)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from stageward.errors import BadInput, NotFound

CHUNK = 1024 * 1024
READ_CHUNK = 4 * CHUNK  # what a copy, a download or a verify reads at a time
_DIGEST = re.compile(r"^[0-9a-f]{64}$")


def check_digest(digest: str) -> str:
    if not _DIGEST.fullmatch(digest):
        raise BadInput(f"{digest!r} is not a sha256 digest")
    return digest


@dataclass(frozen=True)
class BlobInfo:
    sha256: str
    size: int
    # The destination itself confirmed it holds bytes with this digest (S3 answering the checksum of what
    # it stored), so a copy need not read the blob back to check it.
    landed_verified: bool = False


@dataclass(frozen=True)
class StoredBlob:
    """A published blob as `gc --blobs` sees it: its digest, size and when it was last published or kept."""

    sha256: str
    size: int
    modified: float  # seconds since the epoch


class BlobWriter(Protocol):
    """Bytes written here become visible under their digest only at commit()."""

    def write(self, data: bytes) -> int: ...

    def commit(self) -> BlobInfo: ...

    def abort(self) -> None: ...


class BlobStore(Protocol):
    url: str
    # How many blobs smaller than small_file_bytes an upload, a promotion's copy or a download moves at once (1: one
    # after another). A store whose every request is a round trip (S3) takes several; a larger blob moves alone,
    # its parts in flight instead.
    files_in_flight: int
    small_file_bytes: int

    def open_write(self, expected_sha256: str | None = None) -> BlobWriter:
        """A writer; with EXPECTED_SHA256, commit() publishes only bytes with that digest."""

    def open_read(self, digest: str) -> BinaryIO: ...

    def open_range(self, digest: str, offset: int, length: int) -> BinaryIO:
        """The LENGTH bytes of blob DIGEST from OFFSET (fewer where the blob ends first), and no others: the
        store fetches that range alone (a seek, a ranged GET), never the bytes before it."""

    def exists(self, digest: str) -> bool: ...

    def existing(self, digests: Collection[str]) -> set[str]:
        """Those of DIGESTS this store holds. A manifest lists thousands of blobs and a register asks while it
        holds the store's write lock: a store whose lookups are round trips (S3) asks for several at once."""

    def size(self, digest: str) -> int: ...

    def temporary_objects(self, older_than_seconds: float) -> Iterator[str]:
        """Leftovers of interrupted writes older than the cutoff; never what a live write holds."""

    def remove_temporary(self, name: str) -> bool:
        """Remove leftover NAME; False when a live write took it back meanwhile, or it is gone."""

    def keep(self, digest: str) -> bool:
        """Whether blob DIGEST is here, restarting its grace period: an upload that finds the blob already
        published calls this instead of exists(), so `gc --blobs` leaves it for the upload to register."""

    def kept(self, digests: Collection[str]) -> set[str]:
        """Those of DIGESTS this store holds, each kept as keep() keeps it; several at once, as existing()."""

    def published_blobs(self) -> Iterator[StoredBlob]:
        """Every published blob, with its last-modified time."""

    def remove_blob(self, digest: str, modified_before: float) -> bool:
        """Remove blob DIGEST if it was last modified before MODIFIED_BEFORE (epoch seconds); False when it
        was kept meanwhile (a keep() or a new publish) or is gone."""

    # -- optional capability: blobs that are plain files on this machine. A store without it (S3) answers
    # None to both, and copy_blob streams through open_write instead.

    def local_file(self, digest: str) -> Path | None:
        """The file blob DIGEST lies in on this machine, or None when the store keeps no such file."""

    def import_local_file(
        self, source: Path, expected_sha256: str, advance: Callable[[int], None]
    ) -> BlobInfo | None:
        """Copy local file SOURCE in as blob EXPECTED_SHA256, verified where it landed (CheckFailed if the
        digest does not hold, nothing published), reporting bytes to ADVANCE; None when the store cannot."""


def copy_blob(
    target: BlobStore,
    digest: str,
    advance: Callable[[int], None],
    *,
    path: Path | None = None,
    source: BlobStore | None = None,
    read_back: bool = False,
) -> None:
    """Publish blob DIGEST in TARGET from the local file PATH or from the store SOURCE, or nothing at all.

    When the bytes are a local file and TARGET can import one, the target copies them itself (a folder store:
    the kernel copies while the copy is re-hashed alongside). Otherwise the bytes are streamed through a
    writer that publishes only if they hash to DIGEST (CheckFailed otherwise); with READ_BACK the blob is
    then read back from TARGET and hashed again (a copy between stores checks the destination itself).
    """
    local = path if path is not None else source.local_file(digest) if source is not None else None
    try:
        if local is not None and target.import_local_file(local, digest, advance) is not None:
            return
    except FileNotFoundError:
        if path is not None or source is None or local is None or local.exists():
            raise
        # The source store's file went (removed by hand, or by gc --blobs): said as any store says a blob is gone.
        raise NotFound(f"blob sha256:{digest[:12]} is missing from {source.url}") from None
    writer = target.open_write(digest)
    try:
        with open(path, "rb") if path is not None else _open_source(source, digest) as stream:
            while chunk := stream.read(READ_CHUNK):
                writer.write(chunk)
                advance(len(chunk))
    except BaseException:
        writer.abort()
        raise
    info = writer.commit()
    if read_back and not info.landed_verified:
        _verify_landed(target, digest)


def _open_source(source: BlobStore | None, digest: str) -> BinaryIO:
    if source is None:
        raise TypeError("copy_blob: pass path= or source=")
    return source.open_read(digest)


def _verify_landed(store: BlobStore, digest: str) -> None:
    """Re-hash a copied blob read back from STORE, before any record points at it."""
    from stageward.errors import CheckFailed

    found = hashlib.sha256()
    with store.open_read(digest) as stream:
        while chunk := stream.read(READ_CHUNK):
            found.update(chunk)
    if found.hexdigest() != digest:
        raise CheckFailed(f"blob sha256:{digest[:12]} in {store.url} does not hash to its name after the copy")


def put_stream(store: BlobStore, stream: BinaryIO) -> BlobInfo:
    """Copy STREAM into STORE in chunks; the blob appears whole or not at all."""
    writer = store.open_write()
    try:
        while chunk := stream.read(CHUNK):
            writer.write(chunk)
    except BaseException:
        writer.abort()
        raise
    return writer.commit()


def hash_stream(stream: BinaryIO) -> BlobInfo:
    digest = hashlib.sha256()
    size = 0
    while chunk := stream.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return BlobInfo(digest.hexdigest(), size)
