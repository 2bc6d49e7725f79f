"""The Bearer API key of a request, resolved once to the caller (principal, environment, key prefix)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request

from stageward.errors import Unauthenticated

if TYPE_CHECKING:
    from stageward.server.state import Caller, ServerState


def bearer_key(request: Request) -> str:
    """The key of `Authorization: Bearer KEY`; Unauthenticated when there is none (never echoing what came)."""
    header = request.headers.get("authorization")
    if header is None:
        raise Unauthenticated(
            "no API key: send Authorization: Bearer sw_<environment>_...",
            hint="remote CLI: set STAGEWARD_API_KEY to a key from stageward keys create",
        )
    scheme, _, key = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise Unauthenticated("the Authorization header is not 'Bearer <API key>'")
    return key.strip()


def caller_of(request: Request, state: ServerState) -> Caller:
    """Who acts: checked against the store on every request (a revoked key stops at once)."""
    return state.authenticate(bearer_key(request))
