"""The audit page's word on the chain: a whole verification is O(entries) (seconds for a million), so one worker
runs it at most once every EVERY seconds, one at a time, whoever is looking, and pages show its result with its
age. `stageward audit verify` (and GET /api/v1/audit/verify) always check the whole chain at once."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

EVERY = 60.0


@dataclass(frozen=True)
class Checked:
    result: Any  # the audit.verify result, or None when it failed
    broken: str | None  # why the chain did not verify
    at: float  # monotonic seconds when it was checked


class ChainCheck:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._last: Checked | None = None

    def current(self, verify: Callable[[], tuple[Any, str | None]]) -> tuple[Checked, float]:
        """The last check and its age in seconds; VERIFY runs first when there is none or it is EVERY old."""
        with self._lock:  # concurrent views wait for the one check instead of each making their own
            now = self._clock()
            if self._last is None or now - self._last.at >= EVERY:
                result, broken = verify()
                self._last = Checked(result, broken, self._clock())
            return self._last, max(self._clock() - self._last.at, 0.0)
