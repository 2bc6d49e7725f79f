"""The seam to the secret store: config asks only whether a secret exists and, when allowed, its value."""

from __future__ import annotations

from typing import Protocol

from stageward.errors import NotFound


class SecretSource(Protocol):
    """The secrets of one environment, as config sees them."""

    def exists(self, name: str) -> bool: ...

    def reveal(self, name: str) -> str: ...


class NoSecrets:
    """An environment with no secrets at all: what a project without a secret store truly has."""

    def __init__(self, environment: str) -> None:
        self.environment = environment

    def exists(self, name: str) -> bool:
        return False

    def reveal(self, name: str) -> str:
        raise NotFound(f"no secret {name!r} in {self.environment}")
