"""Blob bytes over HTTP: upload by digest (streamed, bounded, published only if the bytes hash to the digest)
and download with Range.

A blob is named by its sha256 alone, checked as 64 hex digits before any store is touched, and a store maps
a digest to its own key: no part of a URL becomes a path, so traversal cannot be expressed. Who may send or
read is decided by the verbs blob.status and blob.locate, audited like every verb; these routes only move
the bytes, outside any transaction.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, BinaryIO

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from stageward.errors import Denied, StagewardError
from stageward.server import bodies
from stageward.server.auth import caller_of
from stageward.server.responses import error_response, internal_error, json_response, plain_error
from stageward.store.blobs.base import READ_CHUNK

if TYPE_CHECKING:
    from stageward.server.metrics import Metrics
    from stageward.server.state import Caller, ServerState
    from stageward.store.blobs.base import BlobStore, BlobWriter

BLOB_PATH = "/api/v1/envs/{env}/blobs/{sha256}"
_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


def _verb(state: ServerState, caller: Caller, name: str, env: str, sha256: str) -> dict[str, Any]:
    from stageward.service.catalogue import lookup
    from stageward.service.results.base import to_json

    result: dict[str, Any] = to_json(lookup(name).run(state.context_for(caller), {"env": env, "sha256": sha256}))
    return result


def _store(state: ServerState, caller: Caller, env: str) -> BlobStore:
    return state.context_for(caller).blob_store(env)


class BlobRoutes:
    def __init__(self, state: ServerState, metrics: Metrics) -> None:
        self.state = state
        self.metrics = metrics

    async def upload(self, request: Request) -> Response:
        env, sha256 = request.path_params["env"], request.path_params["sha256"]
        writer: BlobWriter | None = None
        try:
            caller = await run_in_threadpool(caller_of, request, self.state)
            status = await run_in_threadpool(_verb, self.state, caller, "blob.status", env, sha256)
            if status["present"]:
                return json_response({"sha256": sha256, "store": status["store"], "uploaded_bytes": 0})
            store = await run_in_threadpool(_store, self.state, caller, env)
            writer = await run_in_threadpool(store.open_write, sha256)
            received = 0
            pending: list[bytes] = []
            pending_size = 0
            async for chunk in bodies.chunks(
                request,
                limit=self.state.settings.max_blob_bytes,
                idle_timeout=self.state.settings.body_timeout,
                what=f"blob sha256:{sha256[:12]}",
            ):
                pending.append(chunk)
                pending_size += len(chunk)
                if pending_size >= READ_CHUNK:
                    # The store's writes block: hand them to a worker thread a few MB at a time.
                    await run_in_threadpool(writer.write, b"".join(pending))
                    received += pending_size
                    pending, pending_size = [], 0
            if pending:
                await run_in_threadpool(writer.write, b"".join(pending))
                received += pending_size
            # Published only if the bytes hash to the digest the URL names (CheckFailed otherwise): content-addressed.
            info = await run_in_threadpool(writer.commit)
            writer = None
            await run_in_threadpool(_verb, self.state, caller, "blob.claim", env, sha256)
            return json_response({"sha256": info.sha256, "store": status["store"], "uploaded_bytes": received}, 201)
        except Denied as denial:
            self.metrics.denials.labels(verb="blob.status").inc()
            return error_response(denial)
        except StagewardError as error:
            return error_response(error)
        except Exception as error:
            return internal_error("blob upload", error)
        finally:
            if writer is not None:
                await run_in_threadpool(writer.abort)

    async def download(self, request: Request) -> Response:
        env, sha256 = request.path_params["env"], request.path_params["sha256"]
        try:
            caller = await run_in_threadpool(caller_of, request, self.state)
            found = await run_in_threadpool(_verb, self.state, caller, "blob.locate", env, sha256)
            size = int(found["size"])
            wanted = byte_range(request.headers.get("range"), size)
            if wanted is None:
                return Response(status_code=416, headers={"Content-Range": f"bytes */{size}"})
            start, end = wanted
            store = await run_in_threadpool(_store, self.state, caller, env)
            # The store reads the range alone (a seek, a ranged GET): nothing before START is fetched.
            stream = await run_in_threadpool(store.open_range, sha256, start, end - start)
        except Denied as denial:
            self.metrics.denials.labels(verb="blob.locate").inc()
            return error_response(denial)
        except StagewardError as error:
            return error_response(error)
        except FileNotFoundError:
            return plain_error(404, "not_found", f"blob sha256:{sha256[:12]} is missing from the store")
        except Exception as error:
            return internal_error("blob download", error)
        headers = {
            "Accept-Ranges": "bytes",
            "Content-Length": str(end - start),
            "ETag": f'"{sha256}"',
        }
        partial = request.headers.get("range") is not None
        if partial:
            headers["Content-Range"] = f"bytes {start}-{end - 1}/{size}" if end > start else f"bytes */{size}"
        return StreamingResponse(
            _read(stream, end - start),
            status_code=206 if partial else 200,
            headers=headers,
            media_type="application/octet-stream",
        )


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """[start, end) of one `Range: bytes=...` (RFC 9110) within SIZE; the whole blob without a header; None
    when the range cannot be served (416)."""
    if header is None:
        return 0, size
    match = _RANGE.fullmatch(header.strip())
    if match is None or (not match.group(1) and not match.group(2)):
        return None  # several ranges, another unit, or no bound at all
    first, last = match.group(1), match.group(2)
    if not first:  # bytes=-N: the last N bytes
        suffix = int(last)
        return (max(size - suffix, 0), size) if suffix > 0 and size > 0 else None
    start = int(first)
    if start >= size:
        return None
    end = size if not last else min(int(last) + 1, size)
    return (start, end) if end > start else None


def _read(stream: BinaryIO, length: int) -> Iterator[bytes]:
    """LENGTH bytes of STREAM (Starlette iterates a plain iterator in a worker thread)."""
    try:
        left = length
        while left > 0:
            chunk = stream.read(min(left, READ_CHUNK))
            if not chunk:
                break
            left -= len(chunk)
            yield chunk
    finally:
        stream.close()
