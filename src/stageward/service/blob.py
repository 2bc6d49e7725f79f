"""Blobs by digest for a remote client: may this caller send a blob into an environment, or read one from it.

The server's blob routes move the bytes; these verbs decide first (and audit a denial like every verb). A
reader of an environment reaches only blobs that a version in that environment holds, so knowing a digest
of another environment's model opens nothing. Nor of another project's: where projects share an environment's
blob store, a blob only another project holds counts as absent for this one until its caller sends the bytes
(then `blob.claim` records it), so a register naming its digest finds nothing to point at.
"""

from __future__ import annotations

from stageward.errors import BadInput, NotFound
from stageward.service.catalogue import verb
from stageward.service.results.events import BlobLocation, BlobStatus, BlobStatuses
from stageward.service.unit import Unit
from stageward.store.blobs.base import check_digest
from stageward.store.db import blob_repo


@verb("blob.status", permission="assets.register", http=("GET", "/envs/{env}/blobs/{sha256}/status"))
def status(unit: Unit, *, env: str, sha256: str) -> BlobStatus:
    """Whether blob SHA256 is already in ENV's blob store (then an upload skips it and it is kept for register)."""
    check_digest(sha256)
    store = unit.ctx.blob_store(env)
    usable = store.keep(sha256) and blob_repo.may_reference(unit.conn, unit.ctx.project.spec.project, env, sha256)
    return BlobStatus(sha256=sha256, present=usable, store=store.url)


# The most digests blob.statuses answers in one request: a remote upload asks about a manifest of 20,000 shards
# in 20 requests, each body (about 70 KB) and each answer bounded.
MOST_DIGESTS = 1000


@verb("blob.statuses", permission="assets.register", http=("POST", "/envs/{env}/blobs/status"))
def statuses(unit: Unit, *, env: str, sha256s: list[str]) -> BlobStatuses:
    """Which of SHA256S (at most 1,000) are already in ENV's blob store for this project: blob.status of a whole
    manifest, the blobs found kept for register, the wall asked once."""
    if len(sha256s) > MOST_DIGESTS:
        raise BadInput(f"sha256s: at most {MOST_DIGESTS} digests a request, got {len(sha256s)}")
    unique = list(dict.fromkeys(check_digest(digest) for digest in sha256s))
    store = unit.ctx.blob_store(env)
    here = store.kept(unique)
    barred = blob_repo.out_of_reach(unit.conn, unit.ctx.project.spec.project, env, here) if here else set()
    usable = [digest for digest in unique if digest in here and digest not in barred]
    return BlobStatuses(present=usable, store=store.url)


@verb("blob.claim", permission="assets.register", write=True)
def claim(unit: Unit, *, env: str, sha256: str) -> BlobStatus:
    """Record that this project's caller sent the bytes of blob SHA256 (the upload route calls this after the
    bytes hashed to it), so a version of this project may name it though another project holds it too."""
    check_digest(sha256)
    store = unit.ctx.blob_store(env)
    if not store.exists(sha256):
        raise NotFound(f"blob sha256:{sha256[:12]} is missing from {store.url}")
    blob_repo.claim(unit.conn, unit.ctx.project.spec.project, env, sha256, at=unit.now(), by=unit.principal)
    unit.unchanged()  # bookkeeping of an upload, as a heartbeat is of a run: the register that follows is audited
    return BlobStatus(sha256=sha256, present=True, store=store.url)


@verb("blob.locate", permission="env.read", http=("GET", "/envs/{env}/blobs/{sha256}/info"))
def locate(unit: Unit, *, env: str, sha256: str) -> BlobLocation:
    """The size of blob SHA256 when a version in ENV holds it; not found otherwise, whatever the store keeps."""
    check_digest(sha256)
    size = blob_repo.size_in_environment(unit.conn, unit.ctx.project.spec.project, env, sha256)
    if size is None:
        raise NotFound(f"no version in {env} holds blob sha256:{sha256[:12]}")
    return BlobLocation(sha256=sha256, size=size, store=unit.ctx.blob_store(env).url)
