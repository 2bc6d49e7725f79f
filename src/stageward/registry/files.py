"""Files of a version: which files an upload takes, the manifest, and safe paths on the way out.

Paths in a manifest are relative POSIX paths: never absolute, never `..`, never empty
segments. A symlink in an uploaded folder is followed only when it stays inside the folder.
A download writes under its destination and nowhere else.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from stageward.errors import BadInput

MAX_PATH = 1024


@dataclass(frozen=True)
class ManifestEntry:
    path: str
    size: int
    sha256: str

    def to_dict(self) -> dict[str, object]:
        return {"path": self.path, "size": self.size, "sha256": self.sha256}


def check_manifest_path(path: object) -> str:
    """A file name inside a version: relative, no '..', no '\\', no control characters."""
    if not isinstance(path, str) or not path or len(path) > MAX_PATH:
        raise BadInput(f"file name {path!r}: expected a relative path of 1 to {MAX_PATH} characters")
    if "\\" in path or any(ord(c) < 32 for c in path):
        raise BadInput(f"file name {path!r}: backslashes and control characters are not allowed")
    pure = PurePosixPath(path)
    if pure.is_absolute() or path.startswith("/"):
        raise BadInput(f"file name {path!r}: absolute paths are not allowed")
    parts = path.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise BadInput(f"file name {path!r}: '..', '.' and empty segments are not allowed")
    return path


def check_manifest(entries: Iterable[object]) -> list[ManifestEntry]:
    """Entries given by a caller (the register verb) as dicts: checked, sorted, without duplicates."""
    import re

    digest = re.compile(r"^[0-9a-f]{64}$")
    checked: dict[str, ManifestEntry] = {}
    for raw in entries:
        if not isinstance(raw, dict):
            raise BadInput(f"manifest entry {raw!r}: expected {{path, size, sha256}}")
        path = check_manifest_path(raw.get("path"))
        size, sha = raw.get("size"), raw.get("sha256")
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise BadInput(f"manifest entry {path}: size {size!r} is not a byte count")
        if not isinstance(sha, str) or not digest.fullmatch(sha):
            raise BadInput(f"manifest entry {path}: {sha!r} is not a sha256 digest")
        if path in checked:
            raise BadInput(f"manifest entry {path}: listed twice")
        checked[path] = ManifestEntry(path, size, sha)
    if not checked:
        raise BadInput("a version needs at least one file")
    paths = set(checked)
    for path in paths:
        # `a` as a file and `a/b` as another cannot both be written out.
        parent = PurePosixPath(path).parent
        while str(parent) != ".":
            if str(parent) in paths:
                raise BadInput(f"manifest: {parent} is a file and also a folder of {path}")
            parent = parent.parent
    return [checked[p] for p in sorted(checked)]


def manifest_digest(entries: Iterable[ManifestEntry]) -> str:
    """One digest for the whole version: sha256 of its canonical manifest."""
    canonical = json.dumps([e.to_dict() for e in entries], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def collect_files(source: Path) -> list[tuple[str, Path]]:
    """(name in the manifest, real path) of every file under SOURCE, or SOURCE itself when a file.

    Symlinks are followed only when their target stays inside SOURCE; a loop or a link
    leaving the folder is refused before anything is uploaded.
    """
    if not source.exists() and not source.is_symlink():
        raise BadInput(f"{source}: no such file or folder")
    if source.is_file():
        return [(check_manifest_path(source.name), source.resolve())]
    if not source.is_dir():
        raise BadInput(f"{source}: expected a regular file or a folder")
    root = source.resolve()
    found: list[tuple[str, Path]] = []
    visited: set[Path] = set()

    def walk(folder: Path, prefix: str) -> None:
        real_folder = folder.resolve()
        if real_folder in visited:
            raise BadInput(f"{source}: symlink loop at {prefix or '.'}")
        visited.add(real_folder)
        with os.scandir(folder) as entries:
            for entry in sorted(entries, key=lambda e: e.name):
                name = f"{prefix}{entry.name}"
                check_manifest_path(name)
                path = Path(entry.path)
                real = path.resolve()
                if entry.is_symlink() and not real.is_relative_to(root):
                    raise BadInput(f"{source}/{name}: symlink leaves the uploaded folder (to {real})")
                if real.is_dir():
                    walk(path, f"{name}/")
                elif real.is_file():
                    found.append((name, real))
                else:
                    raise BadInput(f"{source}/{name}: not a regular file (a socket, device or broken link)")
        visited.discard(real_folder)

    walk(source, "")
    if not found:
        raise BadInput(f"{source}: the folder holds no files")
    return found


def destination_of(root: Path, path: str) -> Path:
    """Where manifest PATH lands under ROOT; refused if it would land anywhere else."""
    check_manifest_path(path)
    target = (root / path).resolve()
    if not target.is_relative_to(root.resolve()):
        raise BadInput(f"file name {path!r} would be written outside {root}")
    return target
