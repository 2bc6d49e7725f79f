"""Bytes of a remote client: upload, publish and download over a server's blob routes.

These verbs read or write paths on the caller's machine, so they have no route of their own: a path sent to
a server would name a file on the server. A remote client does here what the local verbs do in
service/assets.py, step for step (the same manifest, the same content-addressed publish, the same
all-or-nothing download into a new folder), moving the bytes over HTTP, and returns the same result.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol

from stageward.registry.files import ManifestEntry, collect_files
from stageward.registry.in_flight import move_each
from stageward.registry.progress import NoProgress, Progress

CHUNK = 4 * 1024 * 1024
# Digests asked about in one blob.statuses request (the server's bound, service/blob.py MOST_DIGESTS).
ASKED_AT_ONCE = 1000
# Files under SMALL_FILE_BYTES are sent this many at once, each on its own kept-alive connection of the client's
# pool; a larger file is sent alone, so a publish never streams more than one large body at a time.
SMALL_FILES_IN_FLIGHT = 8
SMALL_FILE_BYTES = 8 * 1024 * 1024


class HttpTransport(Protocol):
    """What these transfers need of client.HttpTransport: verbs, and the blob routes."""

    url: str

    def call(self, verb: str, arguments: dict[str, Any]) -> Any: ...

    def put_blob(self, env: str, sha256: str, chunks: Iterator[bytes], *, size: int) -> Any: ...

    def get_blob(self, env: str, sha256: str) -> Iterator[bytes]: ...


def _hash_file(path: Path, progress: Progress) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            progress.advance(len(chunk))
    return size, digest.hexdigest()


def _file_chunks(path: Path, advance: Callable[[int], None]) -> Iterator[bytes]:
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            advance(len(chunk))
            yield chunk


def _send(transport: HttpTransport, env: str, files: list[tuple[ManifestEntry, Path]], progress: Progress) -> None:
    def put(item: tuple[ManifestEntry, Path]) -> None:
        entry, real = item
        transport.put_blob(env, entry.sha256, _file_chunks(real, progress.advance), size=entry.size)

    move_each(
        files, size=lambda item: item[0].size, move=put, at_once=SMALL_FILES_IN_FLIGHT, small_bytes=SMALL_FILE_BYTES
    )


def upload(transport: HttpTransport, kind: str, *, env: str, path: str, progress: Progress | None) -> dict[str, Any]:
    """PATH's files into ENV's blob store on the server; returns the manifest to register (as model.upload)."""
    reporter = progress or NoProgress()
    files = collect_files(Path(path).expanduser())
    total = sum(real.stat().st_size for _, real in files)
    reporter.start(f"hashing {len(files)} file(s)", total)
    entries: list[tuple[ManifestEntry, Path]] = []
    for name, real in files:
        size, digest = _hash_file(real, reporter)
        entries.append((ManifestEntry(name, size, digest), real))
    reporter.finish()
    unique = {entry.sha256: (entry, real) for entry, real in reversed(entries)}
    digests = list(unique)
    store = ""
    present: set[str] = set()
    for start in range(0, max(len(digests), 1), ASKED_AT_ONCE):
        status = transport.call("blob.statuses", {"env": env, "sha256s": digests[start : start + ASKED_AT_ONCE]})
        store = status["store"]
        present.update(status["present"])
    missing = [(entry, real) for sha256, (entry, real) in unique.items() if sha256 not in present]
    sent = sum(entry.size for entry, _ in missing)
    reporter.start(f"uploading to {transport.url}", sent)
    _send(transport, env, missing, reporter)
    reporter.finish()
    return {
        "env": env,
        "store": store,
        "files": [entry.to_dict() for entry, _ in entries],
        "size": total,
        "uploaded_bytes": sent,
    }


def publish(transport: HttpTransport, kind: str, arguments: dict[str, Any], progress: Progress | None) -> Any:
    """Upload, then register: the flow of model.publish, its bytes over the blob routes."""
    fields = dict(arguments)
    env, path = fields.pop("env"), fields.pop("path")
    if fields.get("git_commit") is None:
        # The commit of the caller's working tree, not of the server's folder.
        from stageward.registry.gitinfo import head_commit

        commit = head_commit(Path.cwd())
        if commit is not None:
            fields["git_commit"] = commit
    uploaded = upload(transport, kind, env=env, path=path, progress=progress)
    result = transport.call(f"{kind}.register", {"env": env, "files": uploaded["files"], **fields})
    result["uploaded_bytes"] = uploaded["uploaded_bytes"]
    return result


def download(transport: HttpTransport, kind: str, arguments: dict[str, Any], progress: Progress | None) -> Any:
    """A version's files written under DEST (absent or empty), each checked against its sha256 (as model.download)."""
    from stageward.registry.download import staging_folder, write_version

    dest = arguments.get("dest")
    record = transport.call(f"{kind}.show", {k: v for k, v in arguments.items() if k in ("ref", "env")})
    target, staging = staging_folder(dest)
    write_version(
        str(dest), target, staging, ref=record["ref"], size=record["size"],
        files=[(entry["path"], entry["sha256"], entry["size"]) for entry in record["files"]],
        chunks=lambda sha256: transport.get_blob(record["env"], sha256),
        reporter=progress or NoProgress(), source="the server sent bytes with",
        at_once=SMALL_FILES_IN_FLIGHT, small_bytes=SMALL_FILE_BYTES,
    )  # fmt: skip
    return {"ref": record["ref"], "dest": str(target), "files": len(record["files"]), "size": record["size"]}


# The verbs a remote client runs here, by action; each kind's are the same.
LOCAL_ACTIONS = ("upload", "publish", "download")
