"""Alias history as a stack: a move pushes, a rollback pops (pure)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class AliasMove:
    action: str  # "set" | "promote" | "rollback"
    version: int


def holders(history: Iterable[AliasMove]) -> list[int]:
    """The versions that held the alias, oldest first, with rolled-back moves taken off."""
    stack: list[int] = []
    for move in history:
        if move.action == "rollback":
            if stack:
                stack.pop()
        else:
            stack.append(move.version)
    return stack


def rollback_target(history: Iterable[AliasMove]) -> int | None:
    """The version a rollback returns to: the holder before the current one, or None."""
    stack = holders(history)
    return stack[-2] if len(stack) >= 2 else None
