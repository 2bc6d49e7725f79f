"""The resolved difference between two environments, intentional differences marked."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from stageward.configuration.check import intentional, own_store_uri
from stageward.configuration.model import dotted
from stageward.configuration.resolve import Resolved


def diff(
    a: Resolved,
    b: Resolved,
    intentional_differences: Sequence[str],
    stores: Mapping[str, Mapping[str, str]] | None = None,
) -> list[dict[str, Any]]:
    """One row per key whose value differs or that only one side has, in document order.

    `marked` says why a difference is expected: listed in intentional_differences,
    or each side pointing at its own environment's data store (STORES: env -> name -> URI).
    """
    left = dict(a.leaves())
    right = dict(b.leaves())
    rows = []
    for path in [*left, *(p for p in right if p not in left)]:
        in_a, in_b = path in left, path in right
        if in_a and in_b and left[path] == right[path]:
            continue
        marked = None
        if intentional(path, intentional_differences):
            marked = "intentional"
        elif stores is not None and in_a and in_b:
            mine = own_store_uri(left[path], a.environment, stores)
            if mine and own_store_uri(right[path], b.environment, stores):
                marked = "own data store"
        rows.append(
            {
                "key": dotted(path),
                a.environment: left.get(path) if in_a else None,
                b.environment: right.get(path) if in_b else None,
                "only_in": None if in_a and in_b else (a.environment if in_a else b.environment),
                "intentional": marked == "intentional",
                "marked": marked,
                "origins": {a.environment: a.where(path), b.environment: b.where(path)},
            }
        )
    return rows
