"""Audit: every change and denial appended; tampering caught; reads filtered by audit.read."""

import pytest
from sqlalchemy import text

from stageward.errors import CheckFailed, Denied


def test_every_change_is_appended_in_order(client_for):
    alice = client_for("alice")
    alice.call("access.grant", principal="bob", role="viewer", env="staging")
    alice.call("access.revoke", principal="bob", role="viewer", env="staging")
    actions = [e["action"] for e in alice.call("audit.list")]
    # The store's creation, then the project's first policy applied with it, then the two changes.
    assert actions == ["store.create", "policy.apply", "access.grant", "access.revoke"]
    assert alice.call("audit.verify") == {
        "ok": True, "entries": 4, "head": alice.call("audit.list")[-1]["hash"], "legacy": 0, "keyed_from": 1,
        "anchor": None,
    }


def test_edit_in_the_database_is_caught_naming_the_entry(client_for, context_for):
    alice = client_for("alice")
    for role in ("viewer", "developer", "deployer"):
        alice.call("access.grant", principal="bob", role=role, env="staging")
    ctx = context_for("alice")
    with ctx.database.engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET principal = 'mallory' WHERE sequence = 3"))
    with pytest.raises(CheckFailed, match="audit chain broken at entry 3: its content does not match its hash"):
        alice.call("audit.verify")


def test_deleting_the_last_entries_is_caught(client_for, context_for):
    alice = client_for("alice")
    alice.call("access.grant", principal="bob", role="viewer", env="staging")
    alice.call("access.grant", principal="bob", role="viewer", env="production")
    with context_for("alice").database.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE sequence = 4"))
    with pytest.raises(CheckFailed, match="audit chain broken at entry 4: .*entries removed"):
        alice.call("audit.verify")


def test_filters(client_for):
    alice, bob = client_for("alice"), client_for("bob")
    alice.call("access.grant", principal="bob", role="developer", env="development")
    with pytest.raises(Denied):
        bob.call("env.show", env="production")
    assert [e["outcome"] for e in alice.call("audit.list", principal="bob")] == ["denied"]
    assert [e["target"] for e in alice.call("audit.list", action="access.*")] == ["bob"]
    assert alice.call("audit.list", env="sandbox") == []
    assert len(alice.call("audit.list", since="2000-01-01")) == 4
    assert alice.call("audit.list", since="2999-01-01") == []


def test_reading_the_audit_needs_audit_read(client_for):
    alice, bob, carol = client_for("alice"), client_for("bob"), client_for("carol")
    alice.call("access.grant", principal="bob", role="developer", env="development")
    alice.call("access.grant", principal="carol", role="approver", env="production")
    with pytest.raises(Denied, match="bob lacks audit.read in every environment"):
        bob.call("audit.list")
    seen = {e["environment"] for e in carol.call("audit.list")}
    assert "development" not in seen and "production" in seen
    with pytest.raises(Denied, match="carol lacks audit.read in development"):
        carol.call("audit.list", env="development")


def test_export_is_the_whole_chain_with_hashes(client_for):
    alice = client_for("alice")
    alice.call("access.grant", principal="bob", role="viewer", env="staging")
    exported = alice.call("audit.export")
    assert [e["sequence"] for e in exported] == [1, 2, 3]
    assert exported[2]["previous_hash"] == exported[1]["hash"]


def test_limit_counts_only_what_the_reader_may_see(client_for):
    alice, carol = client_for("alice"), client_for("carol")
    alice.call("access.grant", principal="carol", role="approver", env="production")
    for n in range(5):
        alice.call("access.grant", principal=f"u{n}", role="viewer", env="development")
    rows = carol.call("audit.list", limit=2)
    assert [r["environment"] for r in rows] == [None, "production"]
