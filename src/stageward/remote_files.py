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
from stageward.registry.progress import NoProgress, Progress

CHUNK = 4 * 1024 * 1024


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
    store = ""
    missing: list[tuple[ManifestEntry, Path]] = []
    for entry, real in unique.values():
        status = transport.call("blob.status", {"env": env, "sha256": entry.sha256})
        store = status["store"]
        if not status["present"]:
            missing.append((entry, real))
    sent = sum(entry.size for entry, _ in missing)
    reporter.start(f"uploading to {transport.url}", sent)
    for entry, real in missing:
        transport.put_blob(env, entry.sha256, _file_chunks(real, reporter.advance), size=entry.size)
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
        files=[(entry["path"], entry["sha256"]) for entry in record["files"]],
        chunks=lambda sha256: transport.get_blob(record["env"], sha256),
        reporter=progress or NoProgress(), source="the server sent bytes with",
    )  # fmt: skip
    return {"ref": record["ref"], "dest": str(target), "files": len(record["files"]), "size": record["size"]}


# The verbs a remote client runs here, by action; each kind's are the same.
LOCAL_ACTIONS = ("upload", "publish", "download")
