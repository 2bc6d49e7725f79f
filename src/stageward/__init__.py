"""Stageward: environments for machine learning, and control of every passage between them.

The SDK surface is small: `Client` for every verb. Heavy modules load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Client", "__version__"]

if TYPE_CHECKING:
    from stageward.client import Client


def __getattr__(name: str) -> Any:
    if name == "Client":
        from stageward.client import Client

        return Client
    raise AttributeError(f"module 'stageward' has no attribute {name!r}")
