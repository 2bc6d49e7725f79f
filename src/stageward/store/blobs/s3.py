"""Blobs in S3 (or any S3-protocol server): sha256/ab/cdef... under a prefix, uploaded in parts.

A blob is written as a multipart upload straight to its content address and becomes
visible only when the upload completes: an interrupted write leaves an incomplete
upload, never a half object, and `stageward gc` aborts stale ones. Each part carries
its SHA-256 checksum, which the server verifies on receipt; the whole stream is hashed
as it goes, and the upload is completed only when that digest is the one expected.

An upload that finds a blob already published keeps it: the object is copied onto itself
(server side), which sets its LastModified to now, so `gc --blobs` leaves it for the grace
period. S3 has no locks: gc re-reads LastModified just before it deletes, which leaves a
window of one request between that read and the delete (docs/registry.md).

Endpoint, region and credentials come from boto3's usual sources (AWS_ENDPOINT_URL_S3,
AWS_ENDPOINT_URL, AWS_REGION, AWS_PROFILE, instance roles...).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import io
import time
import uuid
from collections.abc import Callable, Collection, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, ParamSpec, TypeVar, cast

from stageward.errors import BadInput, CheckFailed, NotFound, StoreError
from stageward.store.blobs.base import BlobInfo, StoredBlob, check_digest

PART_SIZE = 8 * 1024 * 1024  # above S3's 5 MiB minimum; grows past 1,000 parts to stay under 10,000
# Parts uploading at once (and the most held in memory: 64 MiB). Many smaller parts rather than a few large
# ones, as boto3's upload_file does: the server works on several while the next ones arrive.
PARTS_IN_FLIGHT = 8
# An upload started or sending parts within this window is live: gc leaves it, whatever --older-than says.
LIVE_UPLOAD_SECONDS = 15 * 60
# Lookups (a HEAD, or a keep's copy onto itself) in flight at once when a manifest's blobs are asked about:
# each is a round trip that carries no bytes, so a register of 20,000 files waits for 20,000 / 16 of them
# rather than 20,000, and holds the store's write lock that much less.
LOOKUPS_IN_FLIGHT = 16
_SINGLE_COPY_LIMIT = 5 * 1024**3  # CopyObject copies up to 5 GiB in one request


_P = ParamSpec("_P")
_R = TypeVar("_R")


def _store_errors(method: Callable[_P, _R]) -> Callable[_P, _R]:
    """An S3 failure (no such bucket, no access, endpoint unreachable) as one line naming the store.

    Only the service's error code or the client's error class is shown, never its message: a
    signature error may echo request details.
    """

    @functools.wraps(method)
    def translated(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return method(*args, **kwargs)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code") or "an error"
            raise StoreError(f"blob store {_url_of(args[0])}: S3 answered {code}") from None
        except BotoCoreError as exc:
            raise StoreError(f"blob store {_url_of(args[0])}: S3 request failed ({type(exc).__name__})") from None
        except OSError as exc:  # a socket or local I/O failure that botocore did not wrap
            reason = exc.strerror or type(exc).__name__
            raise StoreError(f"blob store {_url_of(args[0])}: S3 request failed ({reason})") from None

    return translated


def _missing(exc: Any) -> bool:
    return exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound")


def _url_of(owner: object) -> str:
    store = getattr(owner, "_store", owner)
    return str(getattr(store, "url", "s3://?"))


def _b64_sha256(data: bytes | bytearray | memoryview) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


class S3BlobWriter:
    """Parts go out on a few threads while the next part is read and hashed; memory is bounded by
    PARTS_IN_FLIGHT parts. The destination confirms what landed: each part's SHA-256 is checked by
    the server on receipt, and the checksum it answers for the whole object (for a multipart upload,
    the SHA-256 of the parts' digests, "-N") must be the one computed here from the same bytes."""

    def __init__(self, store: S3BlobStore, expected_sha256: str | None) -> None:
        self._store = store
        self._expected = check_digest(expected_sha256) if expected_sha256 else None
        self._key = (
            store.key_of(self._expected) if self._expected else f"{store.prefix}tmp/upload-{uuid.uuid4().hex}"
        )
        self._hash = hashlib.sha256()
        self._size = 0
        # What is written but not yet sent, as the chunks came: joined once per part, not copied per write.
        self._pending: list[bytes] = []
        self._pending_size = 0
        self._upload_id: str | None = None
        self._sent = 0  # parts handed to the pool
        self._in_flight: set[Future[dict[str, Any]]] = set()
        self._parts: list[dict[str, Any]] = []  # confirmed, in the order they landed
        self._pool: ThreadPoolExecutor | None = None
        self._done = False

    def _take_pending(self) -> bytes:
        joined = b"".join(self._pending)
        self._pending, self._pending_size = [], 0
        return joined

    def _part_size(self) -> int:
        return PART_SIZE * (1 + self._sent // 1000)

    def write(self, data: bytes) -> int:
        self._hash.update(data)
        self._size += len(data)
        self._pending.append(bytes(data))  # no copy when DATA is bytes already (a read's chunk)
        self._pending_size += len(data)
        while self._pending_size >= self._part_size():
            size = self._part_size()
            joined = self._take_pending()
            part, rest = joined[:size], joined[size:]  # a whole part: the same object, not a copy
            if rest:
                self._pending, self._pending_size = [rest], len(rest)
            try:
                self._send(part)
            except BaseException:
                self.abort()  # nothing half-published: the incomplete upload goes now, not at the next gc
                raise
        return len(data)

    @_store_errors
    def _start(self) -> None:
        started = self._store.client.create_multipart_upload(
            Bucket=self._store.bucket, Key=self._key, ChecksumAlgorithm="SHA256"
        )
        self._upload_id = started["UploadId"]
        self._pool = ThreadPoolExecutor(max_workers=PARTS_IN_FLIGHT, thread_name_prefix="stageward-s3-part")

    def _send(self, part: bytes) -> None:
        if self._upload_id is None:
            self._start()
        assert self._pool is not None
        if len(self._in_flight) >= PARTS_IN_FLIGHT:
            # Whichever part lands first frees its place: a slow part does not hold back the ones behind it.
            self._collect(wait(self._in_flight, return_when=FIRST_COMPLETED).done)
        self._sent += 1
        self._in_flight.add(self._pool.submit(self._upload_part, self._sent, part))

    def _collect(self, done: set[Future[dict[str, Any]]]) -> None:
        for future in done:
            self._in_flight.discard(future)
            self._parts.append(future.result())  # a failed part raises here

    def _drain(self) -> None:
        """Every part sent has landed; the parts in their order, as completing the upload lists them."""
        self._collect(wait(self._in_flight).done)
        self._parts.sort(key=lambda part: int(part["PartNumber"]))

    @_store_errors
    def _upload_part(self, number: int, data: bytes) -> dict[str, Any]:
        checksum = _b64_sha256(data)  # hashlib lets go of the GIL: parts hash in parallel
        answer = self._store.client.upload_part(
            Bucket=self._store.bucket,
            Key=self._key,
            UploadId=self._upload_id,
            PartNumber=number,
            Body=data,
            ChecksumSHA256=checksum,
        )
        return {"ETag": answer["ETag"], "PartNumber": number, "ChecksumSHA256": checksum}

    @_store_errors
    def commit(self) -> BlobInfo:
        info = BlobInfo(self._hash.hexdigest(), self._size)
        client = self._store.client
        if self._expected is not None and info.sha256 != self._expected:
            self.abort()
            raise CheckFailed(
                f"blob written to {self._store.url} has sha256:{info.sha256[:12]}, expected "
                f"sha256:{self._expected[:12]}; nothing was published"
            )
        try:
            if self._upload_id is None:
                # One request: S3 makes a single PUT visible whole or not at all.
                sent = base64.b64encode(bytes.fromhex(info.sha256)).decode()
                answer = client.put_object(
                    Bucket=self._store.bucket, Key=self._key, Body=self._take_pending(), ChecksumSHA256=sent
                )
            else:
                if self._pending_size or not self._sent:
                    self._send(self._take_pending())
                self._drain()
                answer = client.complete_multipart_upload(
                    Bucket=self._store.bucket,
                    Key=self._key,
                    UploadId=self._upload_id,
                    MultipartUpload={"Parts": self._parts},
                )
                sent = _composite(self._parts)
            self._shut_pool()
            landed = answer.get("ChecksumSHA256") or client.head_object(
                Bucket=self._store.bucket, Key=self._key, ChecksumMode="ENABLED"
            ).get("ChecksumSHA256")
            info = BlobInfo(info.sha256, info.size, landed_verified=_same_checksum(landed, sent))
            if self._expected is None:
                final = self._store.key_of(info.sha256)
                if not self._store.keep(info.sha256):
                    client.copy({"Bucket": self._store.bucket, "Key": self._key}, self._store.bucket, final)
                client.delete_object(Bucket=self._store.bucket, Key=self._key)
                info = BlobInfo(info.sha256, info.size)  # the copy's own checksum was not compared
        except BaseException:
            self.abort()
            raise
        self._done = True
        return info

    def _shut_pool(self) -> None:
        if self._pool is not None:
            for pending in self._in_flight:
                pending.cancel()
            self._pool.shutdown(wait=True)  # no part may land after the upload is aborted
            self._pool = None
        self._in_flight.clear()

    @_store_errors
    def abort(self) -> None:
        if self._done:
            return
        self._done = True
        self._pending, self._pending_size = [], 0
        self._shut_pool()
        if self._upload_id is not None:
            self._store.client.abort_multipart_upload(
                Bucket=self._store.bucket, Key=self._key, UploadId=self._upload_id
            )


def _same_checksum(answered: str | None, sent: str) -> bool:
    """Whether the checksum the server answered for the object is the one computed here. Some servers
    (moto) leave the "-N" part count off a multipart object's; the digest itself must match."""
    return answered is not None and answered.split("-")[0] == sent.split("-")[0]


def _composite(parts: list[dict[str, Any]]) -> str:
    """The checksum S3 gives a multipart object: SHA-256 of the parts' raw digests, then "-" and their number."""
    joined = b"".join(base64.b64decode(part["ChecksumSHA256"]) for part in parts)
    return f"{_b64_sha256(joined)}-{len(parts)}"


class S3BlobStore:
    files_in_flight = PARTS_IN_FLIGHT  # small files in one request each: the same bound on memory as a file's parts
    small_file_bytes = PART_SIZE

    def __init__(self, bucket: str, prefix: str, client: Any) -> None:
        self.bucket = bucket
        self.prefix = f"{prefix.strip('/')}/" if prefix.strip("/") else ""
        self.url = f"s3://{bucket}/{self.prefix}".rstrip("/")
        self.client = client

    @classmethod
    def from_url(cls, url: str, *, base: object = None) -> S3BlobStore:
        rest = url.removeprefix("s3://")
        bucket, _, prefix = rest.partition("/")
        if not bucket or ".." in prefix.split("/"):
            raise BadInput(f"blob store URL {url!r}: expected s3://BUCKET[/PREFIX]")
        import boto3
        from botocore.config import Config

        session = boto3.session.Session()
        client = session.client(
            "s3",
            region_name=session.region_name or "us-east-1",
            config=Config(
                max_pool_connections=max(PARTS_IN_FLIGHT + 2, LOOKUPS_IN_FLIGHT),
                retries={"max_attempts": 5, "mode": "standard"},
            ),
        )
        return cls(bucket, prefix, client)

    def key_of(self, digest: str) -> str:
        check_digest(digest)
        return f"{self.prefix}sha256/{digest[:2]}/{digest[2:]}"

    def open_write(self, expected_sha256: str | None = None) -> S3BlobWriter:
        return S3BlobWriter(self, expected_sha256)

    @_store_errors
    def open_read(self, digest: str) -> BinaryIO:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self.key_of(digest))
        except self.client.exceptions.NoSuchKey:
            raise NotFound(f"blob sha256:{digest[:12]} is missing from {self.url}") from None
        return cast(BinaryIO, answer["Body"])

    @_store_errors
    def open_range(self, digest: str, offset: int, length: int) -> BinaryIO:
        """A ranged GetObject: S3 sends the range alone, however far into the blob it starts."""
        key = self.key_of(digest)
        if length <= 0:
            return io.BytesIO()  # no bytes wanted: nothing to ask S3 for (an empty range is not expressible)
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=key, Range=f"bytes={offset}-{offset + length - 1}")
        except self.client.exceptions.NoSuchKey:
            raise NotFound(f"blob sha256:{digest[:12]} is missing from {self.url}") from None
        return cast(BinaryIO, answer["Body"])

    @_store_errors
    def _head(self, digest: str) -> dict[str, Any] | None:
        from botocore.exceptions import ClientError

        try:
            return cast(dict[str, Any], self.client.head_object(Bucket=self.bucket, Key=self.key_of(digest)))
        except ClientError as exc:
            if _missing(exc):
                return None
            raise

    def local_file(self, digest: str) -> Path | None:
        return None  # objects, not files on this machine

    def import_local_file(
        self, source: Path, expected_sha256: str, advance: Callable[[int], None]
    ) -> BlobInfo | None:
        return None  # copy_blob streams a local file through open_write (multipart)

    def exists(self, digest: str) -> bool:
        return self._head(digest) is not None

    def existing(self, digests: Collection[str]) -> set[str]:
        return self._each(self.exists, digests)

    def kept(self, digests: Collection[str]) -> set[str]:
        return self._each(self.keep, digests)

    def _each(self, ask: Callable[[str], bool], digests: Collection[str]) -> set[str]:
        """The DIGESTS for which ASK answers True, asked LOOKUPS_IN_FLIGHT at a time (boto3's clients are
        thread-safe); the first failure is raised and the lookups not yet started are dropped."""
        unique = list(dict.fromkeys(digests))
        for digest in unique:
            check_digest(digest)  # a bad digest fails here, before any request
        if len(unique) < 2:
            return {digest for digest in unique if ask(digest)}
        pool = ThreadPoolExecutor(max_workers=min(LOOKUPS_IN_FLIGHT, len(unique)), thread_name_prefix="s3-lookup")
        try:
            answers = list(pool.map(ask, unique))
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        return {digest for digest, here in zip(unique, answers, strict=True) if here}

    def size(self, digest: str) -> int:
        head = self._head(digest)
        if head is None:
            raise NotFound(f"blob sha256:{digest[:12]} is missing from {self.url}")
        return int(head["ContentLength"])

    @_store_errors
    def keep(self, digest: str) -> bool:
        """Whether blob DIGEST is here, its LastModified set to now by copying it onto itself (server side).

        One request for a blob up to 5 GiB, the copy itself (a missing blob answers 404). A larger one is refused
        by a single copy; only then is its size asked, and it is copied in parts."""
        from botocore.exceptions import ClientError

        key = self.key_of(digest)
        source = {"Bucket": self.bucket, "Key": key}
        try:
            self.client.copy_object(
                Bucket=self.bucket, Key=key, CopySource=source, MetadataDirective="REPLACE", ChecksumAlgorithm="SHA256"
            )
            return True
        except ClientError as exc:
            if _missing(exc):
                return False
            head = self._head(digest)  # whatever the server's word for "too large" is, the size decides
            if head is None:
                return False
            if int(head["ContentLength"]) <= _SINGLE_COPY_LIMIT:
                raise
        try:
            self.client.copy(source, self.bucket, key)  # past one request's limit: a new upload onto the same key
        except ClientError as exc:
            if _missing(exc):
                return False  # removed by gc meanwhile: the upload publishes it again
            raise
        return True

    @_store_errors
    def published_blobs(self) -> Iterator[StoredBlob]:
        """Every object under sha256/ whose key is a digest, with its size and LastModified."""
        found: list[StoredBlob] = []
        top = f"{self.prefix}sha256/"
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=top):
            for item in page.get("Contents", []):
                digest = item["Key"][len(top) :].replace("/", "", 1)
                if item["Key"][len(top) :][2:3] == "/" and len(digest) == 64 and all(
                    c in "0123456789abcdef" for c in digest
                ):
                    found.append(StoredBlob(digest, int(item["Size"]), item["LastModified"].timestamp()))
        return iter(found)

    @_store_errors
    def remove_blob(self, digest: str, modified_before: float) -> bool:
        """Delete blob DIGEST if its LastModified, read again now, is still before MODIFIED_BEFORE."""
        head = self._head(digest)
        if head is None or head["LastModified"].timestamp() >= modified_before:
            return False
        self.client.delete_object(Bucket=self.bucket, Key=self.key_of(digest))
        return True

    @_store_errors
    def temporary_objects(self, older_than_seconds: float) -> Iterator[str]:
        """Incomplete multipart uploads and leftover tmp/ objects older than the cutoff."""
        # Listed whole here, so a failure of the listing is translated where it happens.
        return iter(list(self._temporary_objects(older_than_seconds)))

    def _temporary_objects(self, older_than_seconds: float) -> Iterator[str]:
        # S3 has no locks: an upload counts as live while it was started or last sent a part within
        # LIVE_UPLOAD_SECONDS, and gc leaves it alone whatever --older-than says.
        now = time.time()
        cutoff = datetime.fromtimestamp(now - older_than_seconds, tz=UTC)
        live_since = datetime.fromtimestamp(now - LIVE_UPLOAD_SECONDS, tz=UTC)
        paginator = self.client.get_paginator("list_multipart_uploads")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix):
            for upload in page.get("Uploads", []):
                if upload["Initiated"] < min(cutoff, live_since) and not self._sent_part_since(upload, live_since):
                    yield f"multipart:{upload['UploadId']}:{upload['Key']}"
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=f"{self.prefix}tmp/"):
            for item in page.get("Contents", []):
                if item["LastModified"] < min(cutoff, live_since):
                    yield f"object:{item['Key']}"

    def _sent_part_since(self, upload: dict[str, Any], since: datetime) -> bool:
        paginator = self.client.get_paginator("list_parts")
        pages = paginator.paginate(Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"])
        return any(part["LastModified"] >= since for page in pages for part in page.get("Parts", []))

    @_store_errors
    def remove_temporary(self, name: str) -> bool:
        kind, _, rest = name.partition(":")
        if kind == "multipart":
            upload_id, _, key = rest.partition(":")
            if key.startswith(self.prefix):
                self.client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
                return True
        elif kind == "object" and rest.startswith(f"{self.prefix}tmp/"):
            self.client.delete_object(Bucket=self.bucket, Key=rest)
            return True
        return False
