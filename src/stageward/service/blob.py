"""Blobs by digest for a remote client: may this caller send a blob into an environment, or read one from it.

The server's blob routes move the bytes; these verbs decide first (and audit a denial like every verb). A
reader of an environment reaches only blobs that a version in that environment holds, so knowing a digest
of another environment's model opens nothing.
"""

from __future__ import annotations

from stageward.errors import NotFound
from stageward.service.catalogue import verb
from stageward.service.results.events import BlobLocation, BlobStatus
from stageward.service.unit import Unit
from stageward.store.blobs.base import check_digest
from stageward.store.db import blob_repo


@verb("blob.status", permission="assets.register", http=("GET", "/envs/{env}/blobs/{sha256}/status"))
def status(unit: Unit, *, env: str, sha256: str) -> BlobStatus:
    """Whether blob SHA256 is already in ENV's blob store (then an upload skips it and it is kept for register)."""
    check_digest(sha256)
    store = unit.ctx.blob_store(env)
    return BlobStatus(sha256=sha256, present=store.keep(sha256), store=store.url)


@verb("blob.locate", permission="env.read", http=("GET", "/envs/{env}/blobs/{sha256}/info"))
def locate(unit: Unit, *, env: str, sha256: str) -> BlobLocation:
    """The size of blob SHA256 when a version in ENV holds it; not found otherwise, whatever the store keeps."""
    check_digest(sha256)
    size = blob_repo.size_in_environment(unit.conn, unit.ctx.project.spec.project, env, sha256)
    if size is None:
        raise NotFound(f"no version in {env} holds blob sha256:{sha256[:12]}")
    return BlobLocation(sha256=sha256, size=size, store=unit.ctx.blob_store(env).url)
