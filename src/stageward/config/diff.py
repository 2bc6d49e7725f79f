"""The resolved difference between two environments, intentional differences marked."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from stageward.config.check import intentional
from stageward.config.model import dotted
from stageward.config.resolve import Resolved


def diff(a: Resolved, b: Resolved, intentional_differences: Sequence[str]) -> list[dict[str, Any]]:
    """One row per key whose value differs or that only one side has, in document order."""
    left = dict(a.leaves())
    right = dict(b.leaves())
    rows = []
    for path in [*left, *(p for p in right if p not in left)]:
        in_a, in_b = path in left, path in right
        if in_a and in_b and left[path] == right[path]:
            continue
        rows.append(
            {
                "key": dotted(path),
                a.environment: left.get(path) if in_a else None,
                b.environment: right.get(path) if in_b else None,
                "only_in": None if in_a and in_b else (a.environment if in_a else b.environment),
                "intentional": intentional(path, intentional_differences),
                "origins": {a.environment: a.where(path), b.environment: b.where(path)},
            }
        )
    return rows
