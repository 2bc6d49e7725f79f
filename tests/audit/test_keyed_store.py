"""The keyed chain in a store, on both engines: what someone who can write the database can no longer hide."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import delete, select, update

from stageward.client import Client, LocalTransport
from stageward.errors import BadInput, CheckFailed, Denied, NotFound
from stageward.secrets.envelope import MasterKeyError, generate_master_key
from stageward.service.context import Context
from stageward.store.db.schema import audit_head, audit_log
from stageward.testing import FrozenClock, make_context
from tests.audit.support import edit_details, get_meta, make_legacy, rehash_without_the_key, set_meta, truncate


@pytest.fixture
def other_context(project_root: Path, store_url: str, clock: FrozenClock, context_for: Callable[[str], Context]):
    """other_context(**environ) -> alice on the same store with her own environment (another key, or none)."""
    made: list[Context] = []

    def make(**environ: str) -> Client:
        ctx = make_context(project_root, principal="alice", store_url=store_url, clock=clock, environ=environ)
        made.append(ctx)
        return Client(LocalTransport(context=ctx))

    yield make
    for ctx in made:
        ctx.close()


_names = itertools.count(1)


def _grants(alice: Client, n: int) -> None:
    """N more entries, one grant each."""
    for _ in range(n):
        alice.call("access.grant", principal=f"user{next(_names)}", role="viewer", env="staging")


def test_a_new_store_is_keyed_from_entry_1_and_its_key_file_made_on_first_write(client_for, context_for, tmp_path):
    key_file = tmp_path / "keys" / "master.key"
    assert key_file.exists() and key_file.stat().st_mode & 0o777 == 0o600
    alice = client_for("alice")
    _grants(alice, 2)
    engine = context_for("alice").database.engine
    assert get_meta(engine, "audit.keyed_from") == "1"
    result = alice.call("audit.verify")
    assert result["entries"] == 4 and result["legacy"] == 0 and result["keyed_from"] == 1  # + store, policy
    assert result["head"] == alice.call("audit.list")[-1]["hash"]


def test_an_edit_rehashed_without_the_key_is_caught_at_the_edited_entry(client_for, context_for):
    alice = client_for("alice")
    _grants(alice, 4)
    engine = context_for("alice").database.engine
    edit_details(engine, 3, {"role": "admin"})
    rehash_without_the_key(engine, 3)  # every later entry relinked and the head fixed: consistent in sha256
    with pytest.raises(CheckFailed) as caught:
        alice.call("audit.verify")
    assert caught.value.message == (
        "audit chain broken at entry 3: its content does not match its hash "
        "(edited after writing, or rehashed without the chain key)"
    )


def test_a_legacy_store_is_keyed_from_its_next_entry(client_for, context_for):
    alice = client_for("alice")
    _grants(alice, 3)
    engine = context_for("alice").database.engine
    make_legacy(engine)
    before = alice.call("audit.verify")
    assert (before["entries"], before["legacy"], before["keyed_from"]) == (5, 5, None)
    _grants(alice, 1)
    assert get_meta(engine, "audit.keyed_from") == "6"
    after = alice.call("audit.verify")
    assert (after["entries"], after["legacy"], after["keyed_from"]) == (6, 5, 6)
    # The legacy prefix stays sha256, but it is pinned: rehashing past an edit in it needs the keyed entries
    # rehashed too, and the first of them does not hold.
    edit_details(engine, 2, {"role": "admin"})
    rehash_without_the_key(engine, 2)
    with pytest.raises(CheckFailed, match="audit chain broken at entry 6: its content does not match its hash"):
        alice.call("audit.verify")


def test_a_rewritten_legacy_prefix_breaks_the_first_keyed_link(client_for, context_for):
    alice = client_for("alice")
    _grants(alice, 3)
    engine = context_for("alice").database.engine
    make_legacy(engine)
    _grants(alice, 2)  # entries 5 and 6 are keyed
    edit_details(engine, 2, {"role": "admin"})
    with engine.begin() as conn:  # rehash 2..4 in sha256 (legacy), leave the keyed 5..6 as they are
        keyed = conn.execute(select(audit_log).where(audit_log.c.sequence >= 5)).all()
    rehash_without_the_key(engine, 2)
    with engine.begin() as conn:
        for row in keyed:
            conn.execute(
                update(audit_log)
                .where(audit_log.c.sequence == row.sequence)
                .values(previous_hash=row.previous_hash, hash=row.hash)
            )
        conn.execute(update(audit_head).where(audit_head.c.id == 1).values(sequence=6, hash=keyed[-1].hash))
    with pytest.raises(CheckFailed) as caught:
        alice.call("audit.verify")
    assert caught.value.message == (
        "audit chain broken at entry 5: its previous-hash does not match the entry before it"
    )


@pytest.mark.parametrize(
    ("keyed_from", "mac", "message"),
    [
        ("9", "keep", r"\(where the keyed chain starts\) does not match its MAC"),
        ("5", None, r"\(where the keyed chain starts\) has no MAC \(audit\.keyed_from_mac removed\)"),
        (None, "keep", r"\(where the keyed chain starts\) is missing but its MAC is present"),
        ("5", "0" * 64, r"does not match its MAC: altered without the chain key"),
        ("five", "keep", r"does not match its MAC"),
    ],
)
def test_the_keyed_from_record_cannot_be_moved_or_dropped(client_for, context_for, keyed_from, mac, message):
    alice = client_for("alice")
    _grants(alice, 3)
    engine = context_for("alice").database.engine
    make_legacy(engine)
    _grants(alice, 4)  # keyed from 5
    # Moving keyed_from past the keyed entries would let them be rewritten as legacy sha256.
    rehash_without_the_key(engine, 5)
    set_meta(engine, "audit.keyed_from", keyed_from)
    if mac != "keep":
        set_meta(engine, "audit.keyed_from_mac", mac)
    with pytest.raises(CheckFailed, match=rf"^audit chain broken: audit\.keyed_from .*{message}"):
        alice.call("audit.verify")


def test_a_keyed_from_record_removed_without_rewriting_is_named(client_for, context_for):
    alice = client_for("alice")
    _grants(alice, 2)
    engine = context_for("alice").database.engine
    set_meta(engine, "audit.keyed_from", None)
    set_meta(engine, "audit.keyed_from_mac", None)
    with pytest.raises(CheckFailed) as caught:
        alice.call("audit.verify")
    assert caught.value.message == (
        "audit chain broken: audit.keyed_from and audit.keyed_from_mac were removed, but the entries are keyed"
    )


def test_a_wrong_master_key_is_reported_as_such(client_for, context_for, other_context):
    _grants(client_for("alice"), 2)
    wrong = other_context(STAGEWARD_MASTER_KEY=generate_master_key())
    with pytest.raises(MasterKeyError, match=r"^wrong master key: STAGEWARD_MASTER_KEY has key id") as caught:
        wrong.call("audit.verify")
    assert caught.value.exit_code == 2
    # Even with the store's record of its key id gone, it is not blamed on entry 1.
    set_meta(context_for("alice").database.engine, "secrets.master_key_id", None)
    with pytest.raises(CheckFailed) as caught:
        other_context(STAGEWARD_MASTER_KEY=generate_master_key()).call("audit.verify")
    assert "or this is not the master key the chain was written with" in caught.value.message
    assert "entry 1" not in caught.value.message


def test_verify_without_the_master_key_says_what_it_needs(client_for, other_context, tmp_path):
    _grants(client_for("alice"), 1)
    absent = tmp_path / "nowhere" / "master.key"
    with pytest.raises(MasterKeyError) as caught:
        other_context(STAGEWARD_MASTER_KEY_FILE=str(absent)).call("audit.verify")
    assert caught.value.exit_code == 2
    assert "STAGEWARD_MASTER_KEY is not set" in caught.value.message and str(absent) in caught.value.message
    assert not absent.exists()  # a reader never makes a key


def test_a_writer_with_a_wrong_key_writes_nothing(client_for, context_for, other_context):
    alice = client_for("alice")
    _grants(alice, 1)
    head = alice.call("audit.verify")["head"]
    with pytest.raises(MasterKeyError, match="wrong master key"):
        other_context(STAGEWARD_MASTER_KEY=generate_master_key()).call(
            "access.grant", principal="eve", role="admin", env="production"
        )
    assert alice.call("audit.verify")["head"] == head


def test_anchor_and_verify_against_it(client_for, context_for, store_url):
    alice = client_for("alice")
    _grants(alice, 3)
    anchor = alice.call("audit.anchor")
    assert anchor["format"] == "stageward-audit-anchor/1"
    assert anchor["sequence"] == 5 and anchor["anchor"] == f"5:{anchor['hash']}"
    assert anchor["hash"] == alice.call("audit.list")[-1]["hash"] and anchor["time"] == "2026-11-25T12:00:00.000000Z"
    assert anchor["store_created_at"] and "pw" not in anchor["store"].split("@")[0].partition(":")[2][:2]
    _grants(alice, 2)
    assert alice.call("audit.verify", anchor=anchor["anchor"])["anchor"] == anchor["anchor"]
    # An anchor the chain never had.
    with pytest.raises(CheckFailed, match=r"^anchor 4:[0-9a-f]{12}\.\.\. does not hold: entry 4 now has hash"):
        alice.call("audit.verify", anchor="4:" + "0" * 64)


def test_truncation_with_the_head_fixed_is_caught_only_by_an_anchor(client_for, context_for):
    alice = client_for("alice")
    _grants(alice, 4)
    anchor = alice.call("audit.anchor")["anchor"]
    truncate(context_for("alice").database.engine, 3)
    assert alice.call("audit.verify")["entries"] == 3  # a consistent, shorter chain: the store alone cannot tell
    with pytest.raises(CheckFailed) as caught:
        alice.call("audit.verify", anchor=anchor)
    assert caught.value.message == (
        f"anchor {anchor[:14]}... does not hold: the chain ends at entry 3, before the anchored entry 6 "
        "(entries removed and the chain rewritten)"
    )


def test_a_whole_chain_rewritten_as_legacy_is_caught_by_an_anchor(client_for, context_for):
    alice = client_for("alice")
    _grants(alice, 3)
    anchor = alice.call("audit.anchor")["anchor"]
    engine = context_for("alice").database.engine
    edit_details(engine, 2, {"role": "admin"})
    make_legacy(engine)  # every entry rehashed in sha256 and the keyed-from record dropped
    result = alice.call("audit.verify")
    assert result["legacy"] == 5  # what verify reports: every entry unkeyed
    with pytest.raises(CheckFailed, match=r"^anchor 5:.* does not hold: entry 5 now has hash .*rewritten at or before"):
        alice.call("audit.verify", anchor=anchor)


def test_anchor_needs_audit_read_and_is_not_audited(client_for):
    alice, bob = client_for("alice"), client_for("bob")
    alice.call("access.grant", principal="bob", role="developer", env="development")
    before = len(alice.call("audit.list"))
    alice.call("audit.anchor")
    assert len(alice.call("audit.list")) == before
    with pytest.raises(Denied, match="bob lacks audit.read in every environment"):
        bob.call("audit.anchor")


def test_a_bad_anchor_argument_is_bad_input(client_for):
    with pytest.raises(BadInput, match=r"^--anchor is not an audit anchor"):
        client_for("alice").call("audit.verify", anchor="4:xyz")


def test_anchor_refuses_a_head_that_is_not_the_last_entry_and_an_emptied_log(client_for, context_for):
    alice = client_for("alice")
    _grants(alice, 2)
    engine = context_for("alice").database.engine
    with engine.begin() as conn:
        conn.execute(update(audit_head).values(hash="0" * 64))
    with pytest.raises(CheckFailed, match="^audit chain broken at entry 4: its head does not match the log"):
        alice.call("audit.anchor")
    with engine.begin() as conn:
        conn.execute(delete(audit_head))
        conn.execute(delete(audit_log))
    with pytest.raises(NotFound, match="^the audit chain has no entries yet: nothing to anchor"):
        alice.call("audit.anchor")
