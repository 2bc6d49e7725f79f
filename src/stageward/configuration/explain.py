"""`config show --explain`: each key with its value and the layer that set it."""

from __future__ import annotations

from typing import Any

from stageward.configuration.model import dotted
from stageward.configuration.resolve import Resolved, _leaves


def explain(resolved: Resolved, shown: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows of key, value (as SHOWN: masked or revealed), origin, and the references it was built from."""
    rows = []
    found: list[tuple[Any, Any]] = []
    _leaves(shown, (), found)
    for path, value in found:
        refs = sorted(resolved.refs.get(path, ()))
        rows.append(
            {
                "key": dotted(path),
                "value": value,
                "origin": resolved.where(path),
                "references": [f"${{{ref.removeprefix('key:')}}}" for ref in refs],
            }
        )
    return rows
