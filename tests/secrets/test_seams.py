"""The seams configuration and runs use: SecretStoreSource(unit, env) and values_for_run(unit, env)."""

from __future__ import annotations

from typing import Any

import pytest

from stageward.errors import Denied, NotFound
from stageward.service.catalogue import verb
from stageward.service.results.base import Result
from stageward.service.secrets import SecretExpired, SecretStoreSource, values_for_run
from stageward.service.unit import Unit
from tests.secrets.conftest import CANARY


class _Values(Result):
    """What a stand-in verb read: name -> value (or whether it exists)."""

    values: dict[str, Any]


# Verbs standing in for their future callers: `config show --reveal` (a read verb) and `run` (a write verb).
@verb("secretstest.resolve")
def _resolve_verb(unit: Unit, *, env: str, names: list[str], reveal: bool = True, many: bool = False) -> _Values:
    source = SecretStoreSource(unit, env)
    if many:
        return _Values(values=source.reveal_many(names))
    if not reveal:
        return _Values(values={name: source.exists(name) for name in names})
    return _Values(values={name: source.reveal(name) for name in names})


@verb("secretstest.run", write=True)
def _run_verb(unit: Unit, *, env: str, names: list[str] | None = None) -> _Values:
    values = values_for_run(unit, env, names)
    unit.audit(environment=env, target="run-1", details={"secrets": sorted(values)})
    return _Values(values=values)


def _resolve(ctx: Any, **arguments: Any) -> dict[str, Any]:
    return _resolve_verb(ctx, **arguments).values


def _run(ctx: Any, **arguments: Any) -> dict[str, Any]:
    return _run_verb(ctx, **arguments).values


def test_exists_honours_scope_and_expiry(sw, secret_context_for, clock):
    alice = sw("alice")
    alice.call("team.create", name="lp")
    alice.call("team.create", name="ml")
    alice.call("secrets.set", env="production", name="DB", value=CANARY)
    alice.call("secrets.set", env="production", name="LP_ONLY", value="x", team="lp")
    alice.call("secrets.set", env="production", name="ML_ONLY", value="x", team="ml")
    alice.call("secrets.set", env="production", name="BRIEF", value="x", expires_in="1h")
    clock.advance(hours=2)
    names = ["DB", "LP_ONLY", "ML_ONLY", "BRIEF", "MISSING", "bad/name"]
    found = _resolve(secret_context_for("alice"), env="production", names=names, reveal=False)
    assert found == {"DB": True, "LP_ONLY": True, "ML_ONLY": False, "BRIEF": False, "MISSING": False, "bad/name": False}
    assert _resolve(secret_context_for("alice"), env="staging", names=["DB"], reveal=False) == {"DB": False}


def test_reveal_checks_access_audits_and_fails_clearly(sw, secret_context_for, clock):
    alice = sw("alice")
    alice.call("secrets.set", env="production", name="DB", value=CANARY)
    alice.call("secrets.set", env="production", name="BRIEF", value="x", expires_in="1h")
    assert _resolve(secret_context_for("alice"), env="production", names=["DB"]) == {"DB": CANARY}
    reveal = alice.call("audit.list", env="production", action="secrets.reveal")[-1]
    assert (reveal["principal"], reveal["target"], reveal["details"]["via"]) == ("alice", "DB", "secretstest.resolve")
    assert CANARY not in str(reveal)
    alice.call("secrets.set", env="production", name="OTHER", value="other-value")
    both = _resolve(secret_context_for("alice"), env="production", names=["DB", "OTHER", "DB"], many=True)
    assert both == {"DB": CANARY, "OTHER": "other-value"}
    entry = alice.call("audit.list", env="production", action="secrets.reveal")[-1]
    assert [s["name"] for s in entry["details"]["secrets"]] == ["DB", "OTHER"] and entry["target"] is None
    assert CANARY not in str(entry) and "other-value" not in str(entry)
    alice.call("access.grant", principal="bob", role="developer", env="production")
    with pytest.raises(Denied, match="bob lacks secrets.read_value in production"):
        _resolve(secret_context_for("bob"), env="production", names=["DB"])
    with pytest.raises(NotFound, match="no secret MISSING in production"):
        _resolve(secret_context_for("alice"), env="production", names=["MISSING"])
    clock.advance(hours=2)
    with pytest.raises(SecretExpired, match="secret BRIEF in production .* expired at"):
        _resolve(secret_context_for("alice"), env="production", names=["BRIEF"])
    assert alice.call("audit.verify")["ok"]


def test_values_for_run(sw, secret_context_for, clock):
    alice = sw("alice")
    alice.call("team.create", name="ml")
    alice.call("secrets.set", env="development", name="A", value="value-a")
    alice.call("secrets.set", env="development", name="B", value="value-b", expires_in="1h")
    alice.call("secrets.set", env="development", name="C", value="value-c", team="ml")
    alice.call("access.grant", principal="bob", role="developer", env="development")
    bob = secret_context_for("bob")
    # A developer may launch runs: the run gets the values though bob cannot read them back.
    assert _run(bob, env="development") == {"A": "value-a", "B": "value-b"}
    assert _run(bob, env="development", names=["A"]) == {"A": "value-a"}
    delivered = alice.call("audit.list", env="development", action="secrets.deliver")[-1]
    assert delivered["details"]["names"] == ["A"] and "value-a" not in str(delivered)
    clock.advance(hours=2)
    assert _run(bob, env="development") == {"A": "value-a"}  # the expired one is not delivered
    with pytest.raises(SecretExpired):
        _run(bob, env="development", names=["B"])
    with pytest.raises(NotFound):
        _run(bob, env="development", names=["C"])
    with pytest.raises(Denied, match="bob lacks runs.launch in production"):
        _run(bob, env="production")
    assert _run(secret_context_for("alice"), env="staging") == {}
