"""Which version held each alias at a moment, answered from the alias history (pure)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol


class AliasMove(Protocol):
    """What the answer reads of one move of the alias history (the store's AliasMoveRecord is one)."""

    @property
    def alias(self) -> str: ...
    @property
    def version(self) -> int: ...
    @property
    def at(self) -> str: ...


def holders_at(history: Iterable[AliasMove], instant: str) -> dict[str, int]:
    """Alias -> version held at INSTANT, from HISTORY (oldest first; each move has an alias, version and time).

    Times are the store's fixed-width UTC text, so comparing them as text is comparing instants. A move made
    exactly at INSTANT counts (the alias held the new version from then on); an alias first set after INSTANT
    is absent.
    """
    held: dict[str, int] = {}
    for move in history:
        if move.at <= instant:
            held[move.alias] = move.version
    return dict(sorted(held.items()))
