"""The blob store interface: write a stream (hashing it), read by digest, ask if present."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, Protocol

from stageward.errors import BadInput

CHUNK = 1024 * 1024
_DIGEST = re.compile(r"^[0-9a-f]{64}$")


def check_digest(digest: str) -> str:
    if not _DIGEST.fullmatch(digest):
        raise BadInput(f"{digest!r} is not a sha256 digest")
    return digest


@dataclass(frozen=True)
class BlobInfo:
    sha256: str
    size: int


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

    def open_write(self, expected_sha256: str | None = None) -> BlobWriter:
        """A writer; with EXPECTED_SHA256, commit() publishes only bytes with that digest."""

    def open_read(self, digest: str) -> BinaryIO: ...

    def exists(self, digest: str) -> bool: ...

    def size(self, digest: str) -> int: ...

    def temporary_objects(self, older_than_seconds: float) -> Iterator[str]:
        """Leftovers of interrupted writes older than the cutoff; never what a live write holds."""

    def remove_temporary(self, name: str) -> bool:
        """Remove leftover NAME; False when a live write took it back meanwhile, or it is gone."""

    def keep(self, digest: str) -> bool:
        """Whether blob DIGEST is here, restarting its grace period: an upload that finds the blob already
        published calls this instead of exists(), so `gc --blobs` leaves it for the upload to register."""

    def published_blobs(self) -> Iterator[StoredBlob]:
        """Every published blob, with its last-modified time."""

    def remove_blob(self, digest: str, modified_before: float) -> bool:
        """Remove blob DIGEST if it was last modified before MODIFIED_BEFORE (epoch seconds); False when it
        was kept meanwhile (a keep() or a new publish) or is gone."""


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
