"""The seam to the secret store: config asks only whether a secret exists and, when allowed, the values."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol


class SecretSource(Protocol):
    """The secrets of one environment, as config sees them."""

    def exists(self, name: str) -> bool: ...

    def reveal_many(self, names: Iterable[str]) -> dict[str, str]:
        """The values of NAMES, checked and audited once for the whole set."""
