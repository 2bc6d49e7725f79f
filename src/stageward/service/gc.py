"""`stageward gc`: remove temporary blobs left by interrupted uploads and copies."""

from __future__ import annotations

import math
from typing import Any

from stageward.errors import BadInput
from stageward.service.catalogue import verb
from stageward.service.unit import Unit

DEFAULT_GRACE_SECONDS = 3600.0


@verb("gc.run", write=True, http=("POST", "/gc"))
def run(unit: Unit, *, older_than: float = DEFAULT_GRACE_SECONDS, dry_run: bool = False) -> dict[str, Any]:
    """Remove temporary blobs older than OLDER_THAN seconds from your stores; never what a live upload holds."""
    if (
        isinstance(older_than, bool)
        or not isinstance(older_than, int | float)
        or not math.isfinite(older_than)
        or older_than < 0
    ):
        raise BadInput(f"--older-than {older_than!r}: expected a finite number of seconds, 0 or more")
    environments = unit.require_somewhere("assets.register")
    stores: dict[str, Any] = {}
    for env in environments:
        store = unit.ctx.blob_store(env)
        stores.setdefault(store.url, store)
    removed: dict[str, list[str]] = {}
    for url, store in stores.items():
        names = list(store.temporary_objects(older_than))
        if not dry_run:
            # A live upload's temporary is never listed; one that an upload took since is skipped here.
            names = [name for name in names if store.remove_temporary(name)]
        removed[url] = names
    count = sum(len(v) for v in removed.values())
    unit.audit(
        environment=None,
        target="blobs",
        details={
            "stores": sorted(removed),
            "temporaries": count,
            "dry_run": dry_run,
            "older_than": older_than,
        },
    )
    return {
        "dry_run": dry_run,
        "removed": count,
        "stores": [{"store": u, "temporaries": n} for u, n in removed.items()],
    }
