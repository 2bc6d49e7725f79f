"""API keys: shown once, stored as a keyed hash, revoked, rotated with overlap, never outside their environment."""

from __future__ import annotations

import contextlib
import re

import pytest
from sqlalchemy import select

from stageward.client import Client, LocalTransport
from stageward.errors import BadInput, Conflict, Denied, NotFound, Unauthenticated
from stageward.service.catalogue import lookup
from stageward.service.keys import KeyAuthenticator, authenticate
from stageward.service.unit import Unit
from stageward.store.db.schema_secrets import api_keys

KEY = re.compile(r"^sw_development_[A-Za-z0-9]{44}$")


@pytest.fixture(autouse=True)
def ci_deploys_in_development(sw) -> None:
    """A key is made only for a principal holding a role in the key's environment."""
    sw("alice").call("access.grant", principal="spn:ci", role="deployer", env="development")


def test_create_shows_the_key_once_and_stores_only_a_digest(sw, secret_context_for):
    alice = sw("alice")
    created = alice.call("keys.create", principal="spn:ci", env="development", ttl="30d")
    assert KEY.match(created["key"])
    assert created["prefix"] == created["key"][: len("sw_development_") + 8]
    assert created["expires_at"] == "2026-12-25T12:00:00.000000Z"
    with secret_context_for("alice").database.transaction(write=False) as conn:
        rows = [dict(r) for r in conn.execute(select(api_keys)).mappings()]
    assert created["key"] not in str(rows) and created["key"][len(created["prefix"]) :] not in str(rows)
    assert re.fullmatch(r"[0-9a-f]{64}", rows[0]["digest"])
    listed = alice.call("keys.list")
    assert listed == [
        {
            "prefix": created["prefix"],
            "principal": "spn:ci",
            "environment": "development",
            "expires_at": "2026-12-25T12:00:00.000000Z",
            "last_used_at": None,
            "status": "active",
            "created_at": "2026-11-25T12:00:00.000000Z",
            "created_by": "alice",
        }
    ]
    assert "key" not in listed[0]
    entry = alice.call("audit.list", action="keys.create")[-1]
    assert created["key"] not in str(entry) and entry["target"] == created["prefix"]


def test_authenticate_resolves_principal_and_environment(sw, secret_context_for, clock):
    created = sw("alice").call("keys.create", principal="spn:ci", env="development")
    ctx = secret_context_for("alice")
    assert authenticate(ctx, created["key"]) == ("spn:ci", "development")
    assert sw("alice").call("keys.list")[0]["last_used_at"] == "2026-11-25T12:00:00.000000Z"
    wrong = created["key"][:-1] + ("A" if created["key"][-1] != "A" else "B")
    for presented in (wrong, "sw_production_" + created["key"].split("_")[-1]):
        with pytest.raises(Unauthenticated) as caught:
            authenticate(ctx, presented)
        assert caught.value.message == "the API key is not valid" and presented not in caught.value.format_message()
    with pytest.raises(Unauthenticated, match="the API key is malformed: expected sw_<environment>_<44"):
        authenticate(ctx, "hunter2")
    clock.advance(days=31)
    with pytest.raises(Unauthenticated, match=f"API key {created['prefix']} expired at 2026-12-25"):
        authenticate(ctx, created["key"])


def test_revoke(sw, secret_context_for):
    alice = sw("alice")
    created = alice.call("keys.create", principal="spn:ci", env="development")
    alice.call("keys.revoke", prefix=created["prefix"])
    with pytest.raises(Unauthenticated, match=f"API key {created['prefix']} was revoked at"):
        authenticate(secret_context_for("alice"), created["key"])
    with pytest.raises(Conflict, match="already revoked"):
        alice.call("keys.revoke", prefix=created["prefix"])
    with pytest.raises(NotFound, match="no API key sw_development_nope"):
        alice.call("keys.revoke", prefix="sw_development_nope")
    assert alice.call("keys.list")[0]["status"] == "revoked"


def test_rotate_keeps_the_old_key_for_the_overlap(sw, secret_context_for, clock):
    alice = sw("alice")
    old = alice.call("keys.create", principal="spn:ci", env="development", ttl="30d")
    new = alice.call("keys.rotate", prefix=old["prefix"], overlap="7d")
    assert new["replaces"] == old["prefix"] and new["key"] != old["key"]
    assert new["old_key_expires_at"] == "2026-12-02T12:00:00.000000Z"
    assert new["expires_at"] == "2026-12-25T12:00:00.000000Z"  # the same 30d lifetime
    authenticator = KeyAuthenticator(secret_context_for("alice"))
    assert authenticator.authenticate(old["key"]) == authenticator.authenticate(new["key"]) == ("spn:ci", "development")
    with pytest.raises(Conflict, match="already rotated; its successor is"):
        alice.call("keys.rotate", prefix=old["prefix"])
    clock.advance(days=8)
    with pytest.raises(Unauthenticated, match="expired"):
        authenticator.authenticate(old["key"])
    assert authenticator.authenticate(new["key"]) == ("spn:ci", "development")


def test_who_may_manage_which_keys(sw):
    alice, bob = sw("alice"), sw("bob")
    with pytest.raises(Denied, match="bob lacks env.read in development"):
        bob.call("keys.create", principal="bob", env="development")
    alice.call("access.grant", principal="bob", role="developer", env="development")
    mine = bob.call("keys.create", principal="bob", env="development")  # your own key needs only sight
    with pytest.raises(Denied, match="bob lacks access.manage in development"):
        bob.call("keys.create", principal="spn:ci", env="development")
    theirs = alice.call("keys.create", principal="spn:ci", env="development")
    assert [k["prefix"] for k in bob.call("keys.list")] == [mine["prefix"]]
    with pytest.raises(Denied, match="bob lacks access.manage in development"):
        bob.call("keys.revoke", prefix=theirs["prefix"])
    bob.call("keys.revoke", prefix=mine["prefix"])
    with pytest.raises(BadInput, match="a key acts as one user or service principal, not a team"):
        alice.call("keys.create", principal="team:lp", env="development")
    with pytest.raises(BadInput, match="--ttl 400d: expected at most 366d"):
        alice.call("keys.create", principal="spn:ci", env="development", ttl="400d")


def test_a_key_never_acts_outside_its_environment(sw, secret_context_for):
    # alice is admin of every environment; her key for development must still do nothing elsewhere.
    created = sw("alice").call("keys.create", principal="alice", env="development")
    principal, environment = authenticate(secret_context_for("alice"), created["key"])
    ctx = secret_context_for(principal)
    ctx.bound_environment = environment
    with contextlib.ExitStack() as stack:
        unit = Unit(ctx, lookup("env.show"), lambda: stack.enter_context(ctx.database.transaction(write=False)))
        assert unit.can("access.manage", "development")
        assert not any(unit.can(p, "production") for p in ("env.read", "secrets.read_value", "access.manage"))
    keyed = Client(LocalTransport(context=ctx))
    assert [e["name"] for e in keyed.call("env.list")] == ["development"]
    with pytest.raises(Denied, match="alice lacks secrets.write in production") as caught:
        keyed.call("secrets.set", env="production", name="X", value="v")
    assert caught.value.hint == "this API key acts in development only; use a key made for production"
    with pytest.raises(Denied, match="alice lacks access.manage in production"):
        keyed.call("access.grant", principal="bob", role="admin", env="production")
    keyed.call("secrets.set", env="development", name="X", value="v")  # at home it acts with alice's roles


def _keyed_client(secret_context_for, key: str) -> Client:
    principal, environment = authenticate(secret_context_for("alice"), key)
    ctx = secret_context_for(principal)
    ctx.bound_environment = environment
    return Client(LocalTransport(context=ctx))


def test_a_key_cannot_mint_its_own_successor(sw, secret_context_for):
    """A caller acting through a key makes no keys: a leaked key would otherwise outlive its revocation."""
    alice = sw("alice")
    created = alice.call("keys.create", principal="alice", env="development")
    keyed = _keyed_client(secret_context_for, created["key"])
    for verb, arguments in [
        ("keys.create", {"principal": "alice", "env": "development"}),
        ("keys.create", {"principal": "spn:ci", "env": "development"}),
        ("keys.rotate", {"prefix": created["prefix"]}),
    ]:
        with pytest.raises(Denied) as caught:
            keyed.call(verb, **arguments)
        assert caught.value.exit_code == 3
        assert caught.value.message == (
            f"denied: alice acts through an API key, and keys are made by a person, not by a key "
            f"({verb.replace('.', ' ')} refused)"
        )
        assert caught.value.hint == "unset STAGEWARD_API_KEY and run it as yourself"
    assert [k["prefix"] for k in alice.call("keys.list")] == [created["prefix"]]  # nothing was made
    denials = [e for e in alice.call("audit.list") if e["outcome"] == "denied"]
    assert [(e["action"], e["environment"]) for e in denials] == [
        ("keys.create", "development"),
        ("keys.create", "development"),
        ("keys.rotate", "development"),
    ]
    assert created["key"] not in str(denials)
    keyed.call("keys.revoke", prefix=created["prefix"])  # a key may still end itself


def test_no_key_for_a_principal_without_a_role_in_its_environment(sw):
    alice = sw("alice")
    with pytest.raises(BadInput) as caught:
        alice.call("keys.create", principal="spn:nobody", env="production")
    assert caught.value.exit_code == 2
    assert caught.value.message == "spn:nobody holds no role in production: a key for it there could do nothing"
    assert caught.value.hint == "grant one first: stageward access grant spn:nobody ROLE --env production"
    with pytest.raises(BadInput, match="spn:ci holds no role in staging"):  # a role elsewhere does not count
        alice.call("keys.create", principal="spn:ci", env="staging")
    # A role held through a team counts, read from the store rather than from the caller's access.
    alice.call("team.create", name="lp", prefix="lp-")
    alice.call("team.add_member", team="lp", member="erin")
    alice.call("access.grant", principal="team:lp", role="viewer", env="staging")
    assert alice.call("keys.create", principal="erin", env="staging")["principal"] == "erin"


def test_rotation_stops_once_the_principal_lost_its_role(sw):
    alice = sw("alice")
    created = alice.call("keys.create", principal="spn:ci", env="development")
    alice.call("access.revoke", principal="spn:ci", role="deployer", env="development")
    with pytest.raises(BadInput, match="spn:ci holds no role in development"):
        alice.call("keys.rotate", prefix=created["prefix"])
