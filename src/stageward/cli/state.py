"""The one Client a CLI invocation uses, made on first need."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from stageward.client import Client

_client: Client | None = None


def client() -> Client:
    global _client
    if _client is None:
        from stageward.client import Client

        _client = Client()
    return _client


def call(verb: str, **arguments: Any) -> Any:
    """Run VERB; its result model (a command reads its fields and renders it; --json prints its JSON)."""
    return client().result(verb, **arguments)


def close() -> None:
    global _client
    if _client is not None:
        _client.close()
        _client = None


def take_notices() -> list[str]:
    """One-line notices of the store for the person at the terminal (a policy applied on the fly), once."""
    if _client is None:
        return []
    context = getattr(_client.transport, "_context", None)
    notices: list[str] = getattr(context, "notices", None) or []
    taken = list(notices)
    notices.clear()
    return taken
