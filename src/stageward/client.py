"""Client: every verb, called in-process (local mode) or, with a server, over HTTP.

`Client().call("access.grant", principal="bob", role="developer", env="development")`
and `Client().access.grant(...)` are the same call. Each verb is a real, typed method
(`stageward/_client_verbs.py`, generated from the verb catalogue), so a misspelt verb is an
AttributeError at once and mypy and editors know every argument. A typed method returns the verb's
result model (`client.model.show(...).digest`), whichever way the call travelled: the local transport
returns the model, a remote one its JSON, validated into the model here. `Client.call`, the untyped door,
returns the result as plain JSON values in both modes.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from stageward._client_verbs import Verbs
from stageward.errors import BadInput


class Transport(Protocol):
    def call(self, verb: str, arguments: dict[str, Any]) -> Any: ...

    def close(self) -> None: ...


class LocalTransport:
    """Runs verbs in this process against the project's store; the principal is this machine's user."""

    def __init__(
        self,
        start: Path | None = None,
        *,
        principal: str | None = None,
        environ: Mapping[str, str] | None = None,
        context: Any = None,
    ) -> None:
        self._start = start
        self._principal = principal
        self._environ = environ
        self._context: Any = context  # a ready Context (tests, embedding), else opened on first call

    @property
    def context(self) -> Any:
        if self._context is None:
            from stageward.service.context import open_context

            self._context = open_context(self._start, principal=self._principal, environ=self._environ)
        return self._context

    def call(self, verb: str, arguments: dict[str, Any]) -> Any:
        from stageward.service.catalogue import run_verb

        return run_verb(self.context, verb, arguments)

    def close(self) -> None:
        if self._context is not None:
            self._context.close()
            self._context = None


class Client(Verbs):
    """Every verb: `client.model.register(env=..., name=..., files=...)` or `client.call("model.register", ...)`."""

    def __init__(self, transport: Transport | None = None) -> None:
        self.transport = transport or transport_from_environment()

    def call(self, verb: str, /, **arguments: Any) -> Any:
        from stageward.service.results.base import to_json

        return to_json(self._transported(verb, arguments))

    def result(self, verb: str, /, **arguments: Any) -> Any:
        from stageward.service.catalogue import lookup

        return lookup(verb).result_from_json(self._transported(verb, arguments))

    def _transported(self, verb: str, arguments: dict[str, Any]) -> Any:
        return self.transport.call(verb, {k: v for k, v in arguments.items() if v is not None})

    def close(self) -> None:
        self.transport.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def transport_from_environment(
    start: Path | None = None, *, principal: str | None = None, environ: Mapping[str, str] | None = None
) -> Transport:
    env = os.environ if environ is None else environ
    if env.get("STAGEWARD_URL"):
        # The remote transport arrives with the REST server (SPEC §9); refusing is safer than
        # silently acting on the local store when the user meant a shared one.
        raise BadInput(
            "STAGEWARD_URL is set, but this version of Stageward has no remote client yet",
            hint="unset STAGEWARD_URL to work on the local store",
        )
    return LocalTransport(start, principal=principal, environ=environ)
