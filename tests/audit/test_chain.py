"""The hash chain as pure functions."""

from dataclasses import replace

from stageward.audit.chain import GENESIS, AuditEntry, entry_hash, first_break


def _chain(n: int) -> list[AuditEntry]:
    entries, previous = [], GENESIS
    for i in range(1, n + 1):
        fields = dict(
            sequence=i, time=f"2026-11-25T12:00:0{i}Z", principal="alice", action="a", environment="e",
            target="t", outcome="ok", details={"i": i}, previous_hash=previous,
        )
        digest = entry_hash(**fields)
        entries.append(AuditEntry(**fields, hash=digest))
        previous = digest
    return entries


def test_intact_chain():
    assert first_break(_chain(5)) is None


def test_edited_entry_is_named():
    entries = _chain(5)
    entries[2] = replace(entries[2], principal="mallory")
    broken = first_break(entries)
    assert broken is not None and broken.sequence == 3 and "edited" in broken.reason


def test_removed_entry_is_named():
    entries = _chain(5)
    del entries[1]
    broken = first_break(entries)
    assert broken is not None and broken.sequence == 2 and "missing" in broken.reason


def test_rehashed_entry_breaks_the_next_link():
    entries = _chain(4)
    forged = replace(entries[1], details={"i": 99})
    entries[1] = replace(forged, hash=entry_hash(**{k: v for k, v in forged.to_dict().items() if k != "hash"}))
    broken = first_break(entries)
    assert broken is not None and broken.sequence == 3
