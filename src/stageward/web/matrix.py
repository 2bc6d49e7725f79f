"""The environments matrix (pure): one row per asset, one cell per environment, from each environment's
overview; a cell's alias is marked where its version differs from what the source environment's same alias
holds now (the source moved on, or was rolled back, since the promotion)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote


@dataclass(frozen=True)
class Holder:
    alias: str
    version: int
    promoted_from: str | None
    differs: str | None  # why this version differs from its source's, None when it does not (or unknown)


@dataclass(frozen=True)
class Cell:
    env: str
    href: str  # the asset's page in this environment
    latest: int | None
    holders: list[Holder]


@dataclass(frozen=True)
class Row:
    name: str
    kind: str
    cells: list[Cell | None]  # one per environment, None where the environment has no asset of this name


def _alias_index(overviews: dict[str, dict[str, Any]]) -> dict[tuple[str, str, str], int]:
    return {
        (env, asset["name"], held["alias"]): held["version"]
        for env, overview in overviews.items()
        for asset in overview["assets"]
        for held in asset["aliases"]
    }


def _difference(held: dict[str, Any], index: dict[tuple[str, str, str], int]) -> str | None:
    source_env, source_name, source_version = (
        held["promoted_from_env"],
        held["promoted_from_name"],
        held["promoted_from_version"],
    )
    if source_env is None or source_name is None:
        return None
    now = index.get((source_env, source_name, held["alias"]))
    if now is None or now == source_version:
        return None
    return f"promoted from {source_env}:{source_version}; {source_env}@{held['alias']} now holds {now}"


def build(
    environments: list[str], overviews: dict[str, dict[str, Any]], *, kind: str | None, name: str | None
) -> list[Row]:
    """Rows sorted by name, filtered by KIND (exact) and NAME (a case-insensitive part of the name)."""
    index = _alias_index(overviews)
    cells: dict[tuple[str, str], dict[str, Cell]] = {}
    needle = name.lower() if name else None
    for env in environments:
        overview = overviews.get(env)
        if overview is None:
            continue
        for asset in overview["assets"]:
            if kind and asset["kind"] != kind:
                continue
            if needle and needle not in asset["name"]:
                continue
            holders = [
                Holder(h["alias"], h["version"], h["promoted_from"], _difference(h, index)) for h in asset["aliases"]
            ]
            href = f"/assets/{quote(env, safe='')}/{quote(asset['name'], safe='')}"
            cells.setdefault((asset["name"], asset["kind"]), {})[env] = Cell(env, href, asset["latest"], holders)
    return [
        Row(name, asset_kind, [by_env.get(env) for env in environments])
        for (name, asset_kind), by_env in sorted(cells.items())
    ]
