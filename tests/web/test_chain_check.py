"""The audit page's chain check (web/chain_check.py): one whole verification per EVERY seconds, whoever looks."""

from __future__ import annotations

import threading
import time
from typing import Any

from stageward.web.chain_check import EVERY, ChainCheck


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_check_is_reused_until_it_is_exactly_every_seconds_old() -> None:
    clock, calls = Clock(), []

    def verify() -> tuple[Any, str | None]:
        calls.append(clock.now)
        return {"entries": len(calls)}, None

    check = ChainCheck(clock)
    first, age = check.current(verify)
    assert (first.result, age, len(calls)) == ({"entries": 1}, 0.0, 1)
    clock.now += EVERY - 1
    again, age = check.current(verify)
    assert again is first and len(calls) == 1 and age == EVERY - 1
    clock.now += 1
    fresh, age = check.current(verify)
    assert (fresh.result, age, len(calls)) == ({"entries": 2}, 0.0, 2)


def test_a_broken_chain_is_remembered_with_its_reason() -> None:
    check = ChainCheck(Clock())
    checked, _ = check.current(lambda: (None, "audit chain broken at entry 7: hash mismatch"))
    assert (checked.result, checked.broken) == (None, "audit chain broken at entry 7: hash mismatch")


def test_concurrent_views_wait_for_one_check() -> None:
    calls = []

    def slow() -> tuple[Any, str | None]:
        calls.append(1)
        time.sleep(0.2)
        return {"entries": 1}, None

    check = ChainCheck()
    threads = [threading.Thread(target=check.current, args=(slow,)) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1
