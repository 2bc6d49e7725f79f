"""Content-addressed blob stores, chosen by URL scheme in one table."""

from __future__ import annotations

import importlib
from pathlib import Path

from stageward.errors import BadInput
from stageward.store.blobs.base import BlobInfo, BlobStore, BlobWriter

# scheme -> "module:Class"; imported on use so a file:// user never loads boto3.
SCHEMES: dict[str, str] = {
    "file": "stageward.store.blobs.file:FileBlobStore",
    "s3": "stageward.store.blobs.s3:S3BlobStore",
}


def open_blob_store(url: str, *, base: Path | None = None) -> BlobStore:
    """Open the blob store at URL; a relative file:// path is taken from BASE (the project root)."""
    scheme = url.split("://", 1)[0] if "://" in url else ""
    target = SCHEMES.get(scheme)
    if target is None:
        known = ", ".join(f"{s}://" for s in SCHEMES)
        raise BadInput(f"blob store URL {url!r}: unsupported scheme (expected one of {known})")
    module_name, class_name = target.split(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    store: BlobStore = cls.from_url(url, base=base)
    return store


__all__ = ["SCHEMES", "BlobInfo", "BlobStore", "BlobWriter", "open_blob_store"]
