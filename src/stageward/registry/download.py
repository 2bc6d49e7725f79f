"""Writing a version's files into a new or empty folder, the same way whoever serves the bytes: the store's blobs
in local mode, a server's blob route in remote mode.

The files land in a hidden staging folder beside DEST, each checked against its manifest sha256 as it streams,
and the staging folder becomes DEST in one rename only when every file holds: a failure leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from stageward.errors import BadInput, CheckFailed, Conflict
from stageward.registry.files import destination_of
from stageward.registry.in_flight import move_each
from stageward.registry.progress import Progress

# sha256 -> the blob's bytes, in chunks.
ChunkSource = Callable[[str], Iterable[bytes]]


def staging_folder(dest: object) -> tuple[Path, Path]:
    """(target, staging) for DEST: a new or empty folder, and a fresh hidden folder beside it."""
    if not isinstance(dest, str) or not dest.strip():
        raise BadInput("DEST: expected the path of a new or empty folder, got nothing")
    # Lexically normal and absolute: `new/..` names the folder it lands in, not a sibling of it.
    target = Path(os.path.abspath(Path(dest).expanduser()))
    try:
        if target.is_symlink() or (target.exists() and not target.is_dir()):
            raise Conflict(f"DEST {dest}: exists and is not a folder")
        if target.is_dir() and any(target.iterdir()):
            raise Conflict(f"DEST {dest}: the folder is not empty; download into a new or empty folder")
        target.parent.mkdir(parents=True, exist_ok=True)
        # A plain mkdir (not mkdtemp's 0700) so the folder gets the mode the user's umask gives.
        staging = target.parent / f".{target.name}.partial-{secrets.token_hex(6)}"
        staging.mkdir()
    except OSError as exc:
        raise BadInput(f"DEST {dest}: cannot create the folder ({exc.strerror or type(exc).__name__})") from None
    return target, staging


def write_version(
    dest: str,
    target: Path,
    staging: Path,
    *,
    ref: str,
    size: int,
    files: Sequence[tuple[str, str, int]],
    chunks: ChunkSource,
    reporter: Progress,
    source: str,
    at_once: int = 1,
    small_bytes: int = 0,
) -> None:
    """FILES ((path, sha256, size) triples) from CHUNKS into STAGING, checked, then renamed to TARGET; files under
    SMALL_BYTES AT_ONCE at a time (registry/in_flight.py). SOURCE names where the bytes came from in a
    mismatch's message ("the stored blob has", "the server sent bytes with")."""

    def write(file: tuple[str, str, int]) -> None:
        path, sha256, _ = file
        out = destination_of(staging, path)
        out.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        with open(out, "wb") as sink:
            for chunk in chunks(sha256):
                digest.update(chunk)
                sink.write(chunk)
                reporter.advance(len(chunk))
        if digest.hexdigest() != sha256:
            raise CheckFailed(
                f"{ref} {path}: {source} sha256:{digest.hexdigest()[:12]}, "
                f"the manifest says sha256:{sha256[:12]}; nothing was written to {dest}"
            )

    try:
        reporter.start(f"downloading {ref}", size)
        move_each(files, size=lambda file: file[2], move=write, at_once=at_once, small_bytes=small_bytes)
        reporter.finish()
        if target.is_dir():
            target.rmdir()
        os.replace(staging, target)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise BadInput(f"DEST {dest}: cannot write the files ({exc.strerror or type(exc).__name__})") from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
