"""Folders and files only their owner may open, whatever the umask: the store, its blobs, the master key."""

from __future__ import annotations

import errno
import os
from pathlib import Path

FOLDER_MODE = 0o700
FILE_MODE = 0o600


def make_private_folder(path: Path) -> None:
    """PATH as a folder; every folder made here (PATH and missing parents) is 0700.

    The mode is set after mkdir because the umask may take bits away (or, at 000, grant
    nothing less than what mkdir asked). Folders that already exist are left as they are:
    one a team shares on purpose keeps the mode it was given.
    """
    missing: list[Path] = []
    current = path
    while not os.path.lexists(current) and current != current.parent:
        missing.append(current)
        current = current.parent
    for folder in reversed(missing):
        try:
            os.mkdir(folder, FOLDER_MODE)
        except FileExistsError:
            continue  # another process made it first
        os.chmod(folder, FOLDER_MODE)
    if not path.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(path))


def create_private_file(path: Path) -> bool:
    """Create PATH empty with mode 0600 unless it exists; True when this call made it."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return False
    try:
        os.fchmod(descriptor, FILE_MODE)
    finally:
        os.close(descriptor)
    return True


def open_private_lock_file(path: Path) -> int:
    """A descriptor on lock file PATH, created 0600 if missing."""
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE)
    status = os.fstat(descriptor)
    if status.st_mode & 0o077 and status.st_uid == os.geteuid():
        os.fchmod(descriptor, FILE_MODE)  # made under a permissive umask
    return descriptor
