"""One shared store, two teams, two projects: the walls of SPEC §12 are climbed here."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from stageward.client import Client, LocalTransport
from stageward.service.context import Context
from stageward.testing import EXAMPLE_PROJECT, FrozenClock, make_context, write_project

ML_PROJECT = """\
project: ml-churn
team: ml
environments:
  sandbox: {tier: sandbox}
  development: {tier: development, promote_from: [sandbox]}
  staging: {tier: staging, promote_from: [development]}
  production:
    tier: production
    promote_from: [staging]
"""


@dataclass
class World:
    """Folders (each person's checkout), contexts and clients on one store."""

    tmp: Path
    store_url: str
    clock: FrozenClock
    key_file: Path
    contexts: list[Context] = field(default_factory=list)

    def checkout(self, name: str, text: str) -> Path:
        root = self.tmp / "checkouts" / name
        write_project(root, text)
        return root

    def context(self, principal: str, root: Path) -> Context:
        ctx = make_context(
            root,
            principal=principal,
            store_url=self.store_url,
            clock=self.clock,
            environ={"STAGEWARD_MASTER_KEY_FILE": str(self.key_file), "HOME": str(self.tmp / "home")},
        )
        self.contexts.append(ctx)
        return ctx

    def client(self, principal: str, root: Path) -> Client:
        return Client(LocalTransport(context=self.context(principal, root)))

    def audit(self, **filters: object) -> list[dict[str, object]]:
        return self.client("alice", self.lp).call("audit.list", **filters)  # type: ignore[no-any-return]

    lp: Path = field(default=Path())
    ml: Path = field(default=Path())


@pytest.fixture
def world(tmp_path: Path, store_url: str, clock: FrozenClock) -> Iterator[World]:
    """alice founds the store with lp-crosssell; teams lp (bob, carol, dave) and ml (mallory); ml-churn registered;
    bob develops in staging and production, carol and dave approve production, mallory deploys for team ml."""
    w = World(tmp_path, store_url, clock, tmp_path / "keys" / "master.key")
    w.lp = w.checkout("lp", EXAMPLE_PROJECT)
    w.ml = w.checkout("ml", ML_PROJECT)
    alice = w.client("alice", w.lp)
    alice.call("team.create", name="lp")
    alice.call("team.create", name="ml")
    for member in ("bob", "carol", "dave"):
        alice.call("team.add_member", team="lp", member=member)
    alice.call("team.add_member", team="ml", member="mallory")
    assert w.client("alice", w.ml).call("policy.history")[0]["version"] == 1  # ml-churn registered on first use
    for env in ("staging", "production"):
        alice.call("access.grant", principal="bob", role="developer", env=env)
    for approver in ("carol", "dave"):
        alice.call("access.grant", principal=approver, role="approver", env="production")
    for env in ("staging", "production"):
        alice.call("access.grant", principal="mallory", role="deployer", env=env, team="ml")
    yield w
    for ctx in w.contexts:
        ctx.close()


@pytest.fixture
def model_file(tmp_path: Path) -> Path:
    path = tmp_path / "model.bin"
    path.write_bytes(b"weights")
    return path


def register(client: Client, env: str, name: str, path: Path, auc: float) -> dict[str, object]:
    return client.call(  # type: ignore[no-any-return]
        "model.publish", env=env, name=name, path=str(path), metrics={"auc": auc}
    )


Register = Callable[..., dict[str, object]]
