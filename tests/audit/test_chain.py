"""The keyed hash chain as pure functions: content, links, the key, the legacy prefix and the keyed-from MAC."""

import hashlib
import json
from dataclasses import replace

import pytest

from stageward.audit.chain import (
    GENESIS,
    AuditEntry,
    canonical_details,
    check_rows,
    entry_hash,
    first_break,
    keyed_from_holds,
    keyed_from_mac,
    rows_of,
)

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))


def _fields(entry: AuditEntry) -> dict:
    return {k: v for k, v in entry.to_dict().items() if k != "hash"}


def _chain(n: int, *, key: bytes = KEY, keyed_from: int = 1) -> list[AuditEntry]:
    """N entries, those before KEYED_FROM hashed as a store before the chain was keyed hashed them."""
    entries, previous = [], GENESIS
    for i in range(1, n + 1):
        fields = dict(
            sequence=i, time=f"2026-11-25T12:00:{i:02d}Z", principal="alice", action="a", environment="e",
            target="t", outcome="ok", details={"i": i, "note": "é"}, previous_hash=previous,
        )
        digest = entry_hash(key if i >= keyed_from else None, **fields)
        entries.append(AuditEntry(**fields, hash=digest))
        previous = digest
    return entries


def _rehash_unkeyed(entries: list[AuditEntry], start: int) -> list[AuditEntry]:
    """What someone without the key can do: recompute plain sha256 from index START on, relinking each."""
    out = list(entries[:start])
    previous = out[-1].hash if out else GENESIS
    for entry in entries[start:]:
        relinked = replace(entry, previous_hash=previous)
        relinked = replace(relinked, hash=entry_hash(None, **_fields(relinked)))
        out.append(relinked)
        previous = relinked.hash
    return out


def test_intact_chain():
    report = check_rows(rows_of(_chain(5)), KEY)
    assert report.broken is None and report.entries == 5 and report.legacy == 0
    assert report.last_hash == _chain(5)[-1].hash


def test_the_hash_is_an_hmac_not_a_plain_sha256():
    entry = _chain(1)[0]
    body = json.dumps(
        [1, entry.time, "alice", "a", "e", "t", "ok", entry.details, GENESIS],
        sort_keys=True, separators=(",", ":"), ensure_ascii=False,
    ).encode()
    assert entry.hash != hashlib.sha256(body).hexdigest()
    assert entry_hash(None, **_fields(entry)) == hashlib.sha256(body).hexdigest()
    assert entry.hash != entry_hash(OTHER_KEY, **_fields(entry))


def test_edited_entry_is_named():
    entries = _chain(5)
    entries[2] = replace(entries[2], principal="mallory")
    broken = first_break(entries, KEY)
    assert broken is not None and broken.sequence == 3 and "edited" in broken.reason


def test_edited_details_are_caught():
    entries = _chain(5)
    entries[3] = replace(entries[3], details={"i": 4, "note": "e"})
    assert first_break(entries, KEY) == first_break([*entries[:3], entries[3]], KEY)
    assert first_break(entries, KEY).sequence == 4


def test_removed_entry_is_named():
    entries = _chain(5)
    del entries[1]
    broken = first_break(entries, KEY)
    assert broken is not None and broken.sequence == 2 and "missing" in broken.reason


def test_a_broken_link_is_named():
    entries = _chain(4)
    entries[2] = replace(entries[2], previous_hash=entries[0].hash)
    broken = first_break(entries, KEY)
    assert broken is not None and broken.sequence == 3 and "previous-hash" in broken.reason


def test_rehashing_without_the_key_is_caught_at_the_edited_entry():
    entries = _chain(6)
    entries[1] = replace(entries[1], details={"i": 99})
    forged = _rehash_unkeyed(entries, 1)  # every later link is consistent again, in plain sha256
    broken = first_break(forged, KEY)
    assert broken is not None and broken.sequence == 2 and "without the chain key" in broken.reason


def test_a_chain_checked_with_another_key_fails_at_entry_1():
    broken = first_break(_chain(3), OTHER_KEY)
    assert broken is not None and broken.sequence == 1


def test_legacy_prefix_is_checked_with_sha256_and_counted():
    entries = _chain(7, keyed_from=5)
    report = check_rows(rows_of(entries), KEY, keyed_from=5)
    assert report.broken is None and report.entries == 7 and report.legacy == 4
    # The same entries claimed to be keyed from the start do not hold.
    assert check_rows(rows_of(entries), KEY, keyed_from=1).broken.sequence == 1


def test_rewriting_the_legacy_prefix_breaks_the_first_keyed_link():
    entries = _chain(7, keyed_from=5)
    entries[1] = replace(entries[1], principal="mallory")
    forged = _rehash_unkeyed(entries[:4], 1) + entries[4:]
    broken = first_break(forged, KEY, keyed_from=5)
    assert broken is not None and broken.sequence == 5 and "previous-hash" in broken.reason


def test_rewriting_keyed_entries_as_if_legacy_needs_the_keyed_from_moved():
    entries = _rehash_unkeyed(_chain(7, keyed_from=5), 4)  # entries 5..7 rewritten in plain sha256
    assert first_break(entries, KEY, keyed_from=5).sequence == 5
    assert first_break(entries, KEY, keyed_from=8) is None  # only by moving keyed_from, which its MAC forbids


def test_keyed_from_mac():
    mac = keyed_from_mac(KEY, 5)
    assert keyed_from_holds(KEY, 5, mac)
    assert not keyed_from_holds(KEY, 8, mac)  # moved
    assert not keyed_from_holds(OTHER_KEY, 5, mac)  # forged without the key, or another key
    assert not keyed_from_holds(KEY, 5, hashlib.sha256(b"5").hexdigest())
    # Never the MAC of any entry: the label keeps the two apart.
    assert mac not in {e.hash for e in _chain(5)}


@pytest.mark.parametrize(
    "stored",
    [
        json.dumps({"note": "é", "i": 1}, sort_keys=True, ensure_ascii=False),  # legacy spacing
        json.dumps({"i": 1, "note": "é"}),  # ASCII escapes, unsorted
    ],
)
def test_details_stored_in_another_form_are_checked_by_their_value(stored: str):
    entry = _chain(1)[0]
    row = (*next(rows_of([entry]))[:7], stored, entry.previous_hash, entry.hash)
    assert check_rows([row], KEY).broken is None


def test_unreadable_details_are_tampering_not_a_crash():
    entry = _chain(1)[0]
    row = (*next(rows_of([entry]))[:7], "{not json", entry.previous_hash, entry.hash)
    assert check_rows([row], KEY).broken.sequence == 1


def test_a_column_that_is_not_text_is_tampering_not_a_crash():
    first, second = rows_of(_chain(2))
    row = list(second)
    row[2] = 12345  # SQLite keeps whatever is written, an integer in a text column included
    assert check_rows([first, tuple(row)], KEY).broken.sequence == 2


def test_canonical_details_are_compact_and_sorted():
    assert canonical_details({"b": 1, "a": "é"}) == '{"a":"é","b":1}'
