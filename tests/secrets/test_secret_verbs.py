"""The secret verbs on both engines: versions, scope, access, expiry, rotation, tampering, the master key."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from sqlalchemy import select, update

from stageward.errors import BadInput, Denied, NotFound, PartlyFailed, StoreError
from stageward.secrets.envelope import MasterKeyError, generate_master_key
from stageward.service.secrets import SecretExpired
from stageward.store.db.schema import audit_head
from stageward.store.db.schema_secrets import secret_versions, secrets
from tests.secrets.conftest import CANARY


def test_set_get_list_history_delete(sw):
    alice = sw("alice")
    first = alice.call("secrets.set", env="production", name="DB_PASSWORD", value=CANARY, expires_in="30d")
    assert first == {
        "environment": "production",
        "name": "DB_PASSWORD",
        "scope": "project:lp-crosssell",
        "version": 1,
        "expires_at": "2026-12-25T12:00:00.000000Z",
        "rotate_with": None,
    }
    alice.call("secrets.set", env="production", name="DB_PASSWORD", value=CANARY + "-2")
    got = alice.call("secrets.get", env="production", name="DB_PASSWORD")
    assert got["value"] == CANARY + "-2" and got["version"] == 2
    assert got["expires_at"] == "2026-12-25T12:00:00.000000Z"  # the 30d policy carried over to version 2
    listed = alice.call("secrets.list", env="production")
    assert [(r["name"], r["version"], r["scope"], r["updated_by"]) for r in listed] == [
        ("DB_PASSWORD", 2, "project:lp-crosssell", "alice")
    ]
    history = alice.call("secrets.history", env="production", name="DB_PASSWORD")
    assert [(h["version"], h["current"], h["origin"]) for h in history] == [(1, False, "set"), (2, True, "set")]
    assert alice.call("secrets.list", env="staging") == []
    deleted = alice.call("secrets.delete", env="production", name="DB_PASSWORD")
    assert deleted["versions_deleted"] == 2
    with pytest.raises(NotFound, match="no secret DB_PASSWORD in production"):
        alice.call("secrets.get", env="production", name="DB_PASSWORD")
    actions = [e["action"] for e in alice.call("audit.list", env="production")]
    assert actions[-4:] == ["secrets.set", "secrets.set", "secrets.get", "secrets.delete"]


def test_get_needs_read_value_and_the_denial_is_audited(sw):
    alice, bob = sw("alice"), sw("bob")
    alice.call("secrets.set", env="production", name="TOKEN", value=CANARY)
    alice.call("access.grant", principal="bob", role="developer", env="production")
    assert [r["name"] for r in bob.call("secrets.list", env="production")] == ["TOKEN"]  # names, not values
    with pytest.raises(Denied, match="bob lacks secrets.read_value in production"):
        bob.call("secrets.get", env="production", name="TOKEN")
    with pytest.raises(Denied, match="bob lacks secrets.write in production"):
        bob.call("secrets.set", env="production", name="TOKEN", value="mine")
    denied = [e for e in alice.call("audit.list", env="production") if e["outcome"] == "denied"]
    assert [(e["principal"], e["action"], e["target"]) for e in denied] == [
        ("bob", "secrets.get", "TOKEN"),
        ("bob", "secrets.set", "TOKEN"),
    ]


def test_a_project_sees_its_own_secrets_then_its_registered_teams(sw):
    alice = sw("alice")  # lp-crosssell was registered to team lp by its first apply
    alice.call("team.create", name="lp")
    alice.call("team.create", name="ml")
    alice.call("secrets.set", env="staging", name="SHARED", value="lp-only", team="lp")
    assert alice.call("secrets.get", env="staging", name="SHARED")["value"] == "lp-only"  # the team's reaches it
    alice.call("secrets.set", env="staging", name="SHARED", value="project-own")
    assert alice.call("secrets.get", env="staging", name="SHARED")["value"] == "project-own"  # its own wins
    alice.call("secrets.set", env="staging", name="ML_KEY", value="ml-only", team="ml")
    with pytest.raises(NotFound) as caught:
        alice.call("secrets.get", env="staging", name="ML_KEY")
    assert caught.value.message == "no secret ML_KEY in staging"
    # Asked for by its exact scope, an admin can still read another team's secret.
    assert alice.call("secrets.get", env="staging", name="ML_KEY", team="ml")["value"] == "ml-only"
    rows = {(r["name"], r["scope"]): r["applies_here"] for r in alice.call("secrets.list", env="staging")}
    assert rows == {("SHARED", "project:lp-crosssell"): True, ("SHARED", "team:lp"): True}  # ml's is not listed
    with pytest.raises(NotFound, match="no team 'nope'"):
        alice.call("secrets.set", env="staging", name="X", value="v", team="nope")


def test_expired_secrets_are_not_handed_out(sw, clock):
    alice = sw("alice")
    alice.call("secrets.set", env="development", name="SHORT", value=CANARY, expires_in="1h")
    clock.advance(hours=2)
    with pytest.raises(SecretExpired) as caught:
        alice.call("secrets.get", env="development", name="SHORT")
    assert caught.value.message == (
        "secret SHORT in development (project:lp-crosssell) expired at 2026-11-25T13:00:00.000000Z"
    )
    assert caught.value.exit_code == 1 and CANARY not in caught.value.format_message()
    assert alice.call("secrets.list", env="development")[0]["expired"] is True


def test_bad_input_is_refused_before_anything_is_written(sw):
    alice = sw("alice")
    with pytest.raises(BadInput, match="contains '/'"):
        alice.call("secrets.set", env="production", name="db/password", value=CANARY)
    with pytest.raises(BadInput, match="secret value is empty"):
        alice.call("secrets.set", env="production", name="EMPTY", value="")
    with pytest.raises(BadInput, match="--expires-in 'soon'"):
        alice.call("secrets.set", env="production", name="X", value=CANARY, expires_in="soon")
    with pytest.raises(BadInput, match="no value given: pipe it on stdin"):
        alice.call("secrets.set", env="production", name="X")
    with pytest.raises(BadInput, match="--generate needs --rotate-with"):
        alice.call("secrets.set", env="production", name="X", generate=True)
    with pytest.raises(NotFound, match="no environment 'prod'"):
        alice.call("secrets.set", env="prod", name="X", value=CANARY)
    assert alice.call("secrets.list") == []


def test_large_and_unicode_values_round_trip(sw):
    alice = sw("alice")
    big = "ü" * 32_768  # 64 KiB of UTF-8 exactly
    alice.call("secrets.set", env="sandbox", name="BIG", value=big)
    assert alice.call("secrets.get", env="sandbox", name="BIG")["value"] == big
    from stageward.errors import TooLarge

    with pytest.raises(TooLarge, match="65538 bytes"):
        alice.call("secrets.set", env="sandbox", name="BIG", value=big + "ü")


def add_generators(project_root: Path, **commands: list[str]) -> None:
    """Declare rotation generators in the working copy; alice's next context applies them (she is admin)."""
    path = project_root / "stageward.yaml"
    lines = "".join(f"  {name}: {json.dumps(command)}\n" for name, command in commands.items())
    path.write_text(path.read_text() + "generators:\n" + lines)


def test_rotate_generates_lists_by_hand_and_reports_failures(sw, clock, project_root):
    add_generators(project_root, broken=[sys.executable, "-c", "import sys; sys.exit(4)"])
    alice = sw("alice")
    alice.call("secrets.set", env="production", name="AUTO", rotate_with="random:24", generate=True, expires_in="5d")
    first = alice.call("secrets.get", env="production", name="AUTO")["value"]
    alice.call("secrets.set", env="production", name="MANUAL", value=CANARY, expires_in="3d")
    alice.call("secrets.set", env="production", name="LATER", value=CANARY, expires_in="90d", rotate_with="random:16")
    alice.call(
        "secrets.set",
        env="staging",
        name="BROKEN",
        value=CANARY,
        expires_in="1d",
        rotate_with="generator:broken",
    )
    alice.call("access.grant", principal="spn:ci", role="deployer", env="production")
    key = alice.call("keys.create", principal="spn:ci", env="production", ttl="2d")
    with pytest.raises(PartlyFailed) as caught:
        alice.call("secrets.rotate")
    assert caught.value.exit_code == 1
    assert caught.value.message == "1 of 2 rotation(s) failed: staging/BROKEN"
    # The SDK caller reads every secret's outcome from the failure itself, the failed one with its reason.
    outcomes = {(r["kind"], r["environment"], r["name"]): r for r in caught.value.result}
    assert {k: r["outcome"] for k, r in outcomes.items()} == {
        ("secret", "production", "AUTO"): "rotated",
        ("secret", "production", "MANUAL"): "rotate by hand",
        ("secret", "staging", "BROKEN"): "failed",
        ("api key", "production", key["prefix"]): "rotate by hand",
    }
    assert outcomes[("secret", "staging", "BROKEN")]["detail"] == f"rotation command {sys.executable!r} exited 4"
    assert CANARY not in json.dumps(caught.value.result)
    # The failure did not undo what succeeded.
    rotated = alice.call("secrets.get", env="production", name="AUTO")
    assert rotated["version"] == 2 and rotated["value"] != first and len(rotated["value"]) == 24
    assert rotated["expires_at"] == "2026-11-30T12:00:00.000000Z"  # the same 5d lifetime, from now
    clock.advance(days=1)
    rows = alice.call("secrets.rotate", env="production", expiring_within="7d")
    assert {(r["kind"], r["name"], r["outcome"]) for r in rows} == {
        ("secret", "MANUAL", "rotate by hand"),
        ("secret", "AUTO", "rotated"),
        ("api key", key["prefix"], "rotate by hand"),
    }
    assert alice.call("secrets.history", env="production", name="AUTO")[-1]["origin"] == "rotate"
    assert alice.call("secrets.get", env="production", name="LATER")["version"] == 1


def _alice_db(secret_context_for):
    return secret_context_for("alice").database


def test_a_row_copied_to_another_environment_fails_to_decrypt(sw, secret_context_for):
    alice = sw("alice")
    alice.call("secrets.set", env="production", name="DB_PASSWORD", value=CANARY)
    alice.call("secrets.set", env="development", name="DB_PASSWORD", value="dev-value")
    database = _alice_db(secret_context_for)
    with database.transaction(write=True) as conn:
        ids = dict(conn.execute(select(secrets.c.environment, secrets.c.id)).all())
        stolen = conn.execute(
            select(secret_versions.c.ciphertext).where(secret_versions.c.secret_id == ids["production"])
        ).scalar_one()
        conn.execute(
            update(secret_versions).where(secret_versions.c.secret_id == ids["development"]).values(ciphertext=stolen)
        )
    with pytest.raises(StoreError, match="DB_PASSWORD version 1 in development: ciphertext failed authentication"):
        alice.call("secrets.get", env="development", name="DB_PASSWORD")


def test_a_tampered_ciphertext_is_detected(sw, secret_context_for):
    alice = sw("alice")
    alice.call("secrets.set", env="production", name="DB_PASSWORD", value=CANARY)
    with _alice_db(secret_context_for).transaction(write=True) as conn:
        sealed = bytearray(conn.execute(select(secret_versions.c.ciphertext)).scalar_one())
        sealed[-3] ^= 0xFF
        conn.execute(update(secret_versions).values(ciphertext=bytes(sealed)))
    with pytest.raises(StoreError, match="failed authentication") as caught:
        alice.call("secrets.get", env="production", name="DB_PASSWORD")
    assert caught.value.exit_code == 2


def _audit_head(secret_context_for):
    with _alice_db(secret_context_for).transaction(write=False) as conn:
        return conn.execute(select(audit_head.c.sequence, audit_head.c.hash)).first()


def test_a_wrong_master_key_is_refused_and_changes_nothing(sw, secret_context_for):
    sw("alice").call("secrets.set", env="production", name="DB_PASSWORD", value=CANARY)
    sw("alice").call("access.grant", principal="spn:ci", role="deployer", env="staging")
    before = _audit_head(secret_context_for)
    wrong = sw("alice", STAGEWARD_MASTER_KEY=generate_master_key())
    for verb, arguments in [
        ("secrets.get", {"env": "production", "name": "DB_PASSWORD"}),
        ("secrets.set", {"env": "production", "name": "DB_PASSWORD", "value": "overwrite"}),
        ("secrets.set", {"env": "staging", "name": "NEW", "value": "new"}),
        ("keys.create", {"env": "staging", "principal": "spn:ci"}),
    ]:
        with pytest.raises(
            MasterKeyError,
            match=r"wrong master key: STAGEWARD_MASTER_KEY has key id [0-9a-f]{16}, "
            r"but this store was encrypted with key id [0-9a-f]{16}",
        ) as caught:
            wrong.call(verb, **arguments)
        assert caught.value.exit_code == 2
    assert _audit_head(secret_context_for) == before
    assert sw("alice").call("secrets.get", env="production", name="DB_PASSWORD")["value"] == CANARY


def test_a_lost_key_file_is_never_silently_replaced(sw, secret_context_for, key_file: Path):
    sw("alice").call("secrets.set", env="production", name="DB_PASSWORD", value=CANARY)
    saved = key_file.read_bytes()
    key_file.unlink()
    with pytest.raises(
        MasterKeyError,
        match=r"no master key: this store's secrets and API keys were encrypted "
        r"with master key [0-9a-f]{16}, but STAGEWARD_MASTER_KEY is not set and .* does not exist",
    ):
        sw("alice").call("secrets.set", env="staging", name="NEW", value="v")
    assert not key_file.exists()
    key_file.write_bytes(saved)
    key_file.chmod(0o600)
    assert sw("alice").call("secrets.get", env="production", name="DB_PASSWORD")["value"] == CANARY


def test_the_master_key_from_the_environment_works_alone(sw, tmp_path: Path, key_file: Path):
    master = key_file.read_text().strip()  # made by the store's first write (its audit entry is keyed)
    key_file.unlink()
    alice = sw("alice", STAGEWARD_MASTER_KEY=master)
    alice.call("secrets.set", env="production", name="DB_PASSWORD", value=CANARY)
    assert not key_file.exists()  # no file is made when the key comes from the environment
    assert (
        sw("alice", STAGEWARD_MASTER_KEY=master).call("secrets.get", env="production", name="DB_PASSWORD")["value"]
        == CANARY
    )
