"""`stageward gc`: remove temporary blobs left by interrupted uploads and copies and, with --blobs, published
blobs that no version references (docs/registry.md, "Garbage collection")."""

from __future__ import annotations

import math
import time
from typing import Any

from stageward.errors import BadInput
from stageward.service.catalogue import verb
from stageward.service.results.registry import Collected, RemovedBlob, StoreCollected
from stageward.service.unit import Unit

DEFAULT_GRACE_SECONDS = 3600.0
DEFAULT_BLOB_GRACE_SECONDS = 24 * 3600.0


def _check_age(older_than: float) -> None:
    if (
        isinstance(older_than, bool)
        or not isinstance(older_than, int | float)
        or not math.isfinite(older_than)
        or older_than < 0
    ):
        raise BadInput(f"--older-than {older_than!r}: expected a finite number of seconds, 0 or more")


@verb("gc.run", write=True, http=("POST", "/gc"))
def run(
    unit: Unit, *, older_than: float | None = None, blobs: bool = False, dry_run: bool = False
) -> Collected:
    """Remove temporary blobs older than OLDER_THAN seconds from your stores; never what a live upload holds.

    With BLOBS, also remove published blobs that no version of the store references and that were last
    published or kept (by an upload that found them) more than OLDER_THAN seconds ago (default 24 h).
    """
    if older_than is not None:
        _check_age(older_than)
    if blobs:
        # Blob stores are shared by every project of the store: only a store admin removes what is published.
        unit.require_everywhere("access.manage")
        environments = list(unit.ctx.environments)
    else:
        environments = unit.require_somewhere("assets.register")
    stores: dict[str, Any] = {}
    for env in environments:
        store = unit.ctx.blob_store(env)
        stores.setdefault(store.url, store)
    temporaries: dict[str, list[str]] = {}
    for url, store in stores.items():
        names = list(store.temporary_objects(DEFAULT_GRACE_SECONDS if older_than is None else older_than))
        if not dry_run:
            # A live upload's temporary is never listed; one that an upload took since is skipped here.
            names = [name for name in names if store.remove_temporary(name)]
        temporaries[url] = names
    unreferenced: dict[str, list[RemovedBlob]] = {url: [] for url in stores}
    if blobs:
        grace = DEFAULT_BLOB_GRACE_SECONDS if older_than is None else older_than
        unreferenced = _collect_blobs(unit, stores, grace, dry_run=dry_run)
    count = sum(len(v) for v in temporaries.values())
    blob_count = sum(len(v) for v in unreferenced.values())
    blob_bytes = sum(b.size for v in unreferenced.values() for b in v)
    unit.audit(
        environment=None,
        target="blobs",
        details={
            "stores": sorted(stores),
            "temporaries": count,
            "dry_run": dry_run,
            "older_than": older_than,
            **({"blobs": blob_count, "blob_bytes": blob_bytes} if blobs else {}),
        },
    )
    return Collected(
        dry_run=dry_run,
        removed=count,
        blobs_removed=blob_count,
        blob_bytes=blob_bytes,
        stores=[
            StoreCollected(store=url, temporaries=len(temporaries[url]), blobs=unreferenced[url]) for url in stores
        ],
    )


def _collect_blobs(
    unit: Unit, stores: dict[str, Any], grace: float, *, dry_run: bool
) -> dict[str, list[RemovedBlob]]:
    """Published blobs that no version references and that are older than GRACE seconds, removed unless DRY_RUN.

    This verb writes, so it holds the store's writer lock from its start: no version is recorded while it
    runs, and the references read here are all there are. A blob an upload has published or kept within
    the grace period is younger than the cutoff and left; each removal re-checks the age under the blob
    store's own guard (a flock on file://), so one kept just now is not removed. A register that comes
    after a removal finds its blob missing and fails (exit 4); it never records a version without its bytes.
    """
    from stageward.store.db import registry_repo

    cutoff = time.time() - grace
    referenced = registry_repo.referenced_blobs(unit.conn)
    found: dict[str, list[RemovedBlob]] = {}
    for url, store in stores.items():
        candidates = [
            blob for blob in store.published_blobs() if blob.modified < cutoff and blob.sha256 not in referenced
        ]
        if not dry_run:
            candidates = [blob for blob in candidates if store.remove_blob(blob.sha256, cutoff)]
        found[url] = [
            RemovedBlob(sha256=blob.sha256, size=blob.size, modified=_iso(blob.modified)) for blob in candidates
        ]
    return found


def _iso(epoch: float) -> str:
    from datetime import UTC, datetime

    from stageward.service.clock import timestamp

    return timestamp(datetime.fromtimestamp(epoch, tz=UTC))
