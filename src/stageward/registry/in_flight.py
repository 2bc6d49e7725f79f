"""Moving many blobs with few waits: a large one after another (its own parts already go several at once), the
small ones several at once, as a file of a few KB costs a round trip to S3 or a server rather than bandwidth."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")


def move_each(
    items: Sequence[T], *, size: Callable[[T], int], move: Callable[[T], None], at_once: int, small_bytes: int
) -> None:
    """MOVE every one of ITEMS: those of SIZE at least SMALL_BYTES one after another, then the rest AT_ONCE at a
    time. The first failure is raised once the moves already started have ended; those not started never are."""
    small = [item for item in items if size(item) < small_bytes]
    for item in items:
        if size(item) >= small_bytes:
            move(item)
    if at_once < 2 or len(small) < 2:
        for item in small:
            move(item)
        return
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(max_workers=min(at_once, len(small)), thread_name_prefix="blob-move")
    try:
        for _ in pool.map(move, small):
            pass
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
