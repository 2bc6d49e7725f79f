"""Fixtures of the secrets area: contexts whose master key file lives in the test's own folder."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from stageward.client import Client, LocalTransport
from stageward.service.context import Context
from stageward.testing import FrozenClock, make_context

# A value no code path should ever print, log, audit or store in the clear.
CANARY = "canary-7f3a9c-DO-NOT-LEAK"


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    return tmp_path / "keys" / "master.key"


@pytest.fixture
def secret_context_for(
    project_root: Path, store_url: str, clock: FrozenClock, key_file: Path
) -> Iterator[Callable[..., Context]]:
    """secret_context_for("bob") -> a Context as bob on the shared store; alice creates the store."""
    made: list[Context] = []

    def make(principal: str = "alice", **environ: str) -> Context:
        env = {"STAGEWARD_MASTER_KEY_FILE": str(key_file), **environ}
        ctx = make_context(project_root, principal=principal, store_url=store_url, clock=clock, environ=env)
        made.append(ctx)
        return ctx

    assert make("alice").database is not None
    yield make
    for ctx in made:
        ctx.close()


@pytest.fixture
def sw(secret_context_for: Callable[..., Context]) -> Callable[..., Client]:
    """sw("bob") -> a Client acting as bob, in process."""

    def make(principal: str = "alice", **environ: str) -> Client:
        return Client(LocalTransport(context=secret_context_for(principal, **environ)))

    return make
