"""Walking a version's lineage back across environments to its first registration (pure)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from stageward.errors import CheckFailed


@dataclass(frozen=True)
class VersionKey:
    env: str
    name: str
    version: int

    def __str__(self) -> str:
        return f"{self.env}/{self.name}:{self.version}"


MAX_DEPTH = 64


class Source(Protocol):
    @property
    def env(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def version(self) -> int: ...


class Linked(Protocol):
    """What the walk reads of a version (the store's record is one): its ref and where it came from."""

    @property
    def ref(self) -> str: ...
    @property
    def promoted_from(self) -> Source | None: ...


LinkedT = TypeVar("LinkedT", bound=Linked)


def walk(start: VersionKey, fetch: Callable[[VersionKey], LinkedT | None]) -> list[LinkedT]:
    """The chain from START to the first registration; FETCH returns a version record or None.

    A record names its source in `promoted_from` (env, name, version) when it came by promotion.
    A missing link or a cycle is a check failure, not an endless loop.
    """
    chain: list[LinkedT] = []
    seen: set[VersionKey] = set()
    key: VersionKey | None = start
    while key is not None:
        if key in seen or len(chain) >= MAX_DEPTH:
            raise CheckFailed(f"lineage of {start} loops back to {key}")
        seen.add(key)
        record = fetch(key)
        if record is None:
            if not chain:
                raise CheckFailed(f"{key} does not exist")
            raise CheckFailed(
                f"lineage of {start} is broken: {chain[-1].ref} came from {key}, which is missing"
            )
        chain.append(record)
        source = record.promoted_from
        key = VersionKey(source.env, source.name, source.version) if source else None
    return chain
