"""One leader among the processes of a store (the server's workers): whoever holds the lease does the job.

SQLite: an exclusive flock on a file beside the database; PostgreSQL: a session advisory lock on a
connection kept open. Either is released by the kernel or the database when its holder dies, so a killed
leader is replaced by the next worker that asks.
"""

from __future__ import annotations

import fcntl
import os
from typing import Any

from sqlalchemy import text

from stageward.store.db.engine import Database, sqlite_path

_LEADER_LOCK_KEY = 7_420_002


class Lease:
    def __init__(self, release: Any) -> None:
        self._release = release

    def release(self) -> None:
        self._release()


def try_lead(database: Database, job: str) -> Lease | None:
    """The lease of JOB on DATABASE's store when no other process holds it; None otherwise."""
    path = sqlite_path(database.url)
    if path is not None:
        descriptor = os.open(f"{path}.{job}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            return None
        return Lease(lambda: os.close(descriptor))
    connection = database.engine.connect()
    try:
        held = connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": _LEADER_LOCK_KEY}).scalar()
        connection.commit()
    except BaseException:
        connection.close()
        raise
    if not held:
        connection.close()
        return None

    def release() -> None:
        connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _LEADER_LOCK_KEY})
        connection.close()

    return Lease(release)
