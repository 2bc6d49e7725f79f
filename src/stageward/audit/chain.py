"""Hashing and verifying the audit chain; pure functions over entries.

Each entry's hash is HMAC-SHA-256, under a chain key derived from the master key, of
the canonical JSON of every field but the hash itself. Without the key, someone who
can write the database can still edit an entry, but can no longer recompute its hash
or any later one: `verify` names the entry. Entries written before a store's chain
was keyed (legacy entries, below `keyed_from`) keep their plain sha256 and are
checked as such; they prove only what they proved before.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from json.encoder import encode_basestring
from typing import Any, Literal

Outcome = Literal["ok", "denied", "failed"]
GENESIS = "0" * 64
# What the MAC of the keyed-from record covers besides the number: a body no entry can have
# (an entry's body is a JSON list), so one MAC can never stand in for the other.
_KEYED_FROM_LABEL = b"stageward audit keyed-from v1\x00"

# Sorted keys, no spaces, text as UTF-8: one byte string per entry, whoever computes it.
_canonical = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode
_quote = encode_basestring  # a str exactly as _canonical writes it (the C encoder's own function)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    sequence: int
    time: str
    principal: str
    action: str
    environment: str | None
    target: str | None
    outcome: Outcome
    details: dict[str, Any] = field(default_factory=dict)
    previous_hash: str = GENESIS
    hash: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def canonical_details(details: dict[str, Any]) -> str:
    """DETAILS as the chain hashes them; the store keeps them in this form too."""
    return _canonical(details)


def entry_hash(
    key: bytes | None,
    *,
    sequence: int,
    time: str,
    principal: str,
    action: str,
    environment: str | None,
    target: str | None,
    outcome: str,
    details: dict[str, Any],
    previous_hash: str,
) -> str:
    """HMAC-SHA-256 under KEY of the canonical JSON of every field but the hash; plain sha256 when KEY is None.

    None is only for checking legacy entries: nothing writes an unkeyed entry any more.
    """
    body = _canonical(
        [sequence, time, principal, action, environment, target, outcome, details, previous_hash]
    ).encode("utf-8")
    if key is None:
        return hashlib.sha256(body).hexdigest()
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def keyed_from_mac(key: bytes, sequence: int) -> str:
    """The MAC that pins where a store's keyed chain starts, so it cannot be moved without the key."""
    return hmac.new(key, _KEYED_FROM_LABEL + str(sequence).encode("ascii"), hashlib.sha256).hexdigest()


def keyed_from_holds(key: bytes, sequence: int, mac: str) -> bool:
    return hmac.compare_digest(keyed_from_mac(key, sequence), mac)


@dataclass(frozen=True)
class ChainBreak:
    sequence: int
    reason: str


@dataclass(frozen=True)
class ChainReport:
    """What walking the chain found: how many entries, how many of them legacy, the last hash, the first break."""

    entries: int
    legacy: int
    last_hash: str
    broken: ChainBreak | None


# A stored row as audit_repo.iter_rows yields it: the entry's fields with its details still as stored text.
StoredRow = tuple[int, str, str, str, str | None, str | None, str, str, str, str]


def check_rows(rows: Iterable[StoredRow], key: bytes, *, keyed_from: int = 1) -> ChainReport:
    """Walk stored rows in sequence order: entries from KEYED_FROM on against HMACs under KEY, earlier ones sha256.

    The hot loop of `audit verify`: it works on plain tuples and one prepared HMAC state
    (copied per entry) so a long chain checks at well over 100,000 entries a second.
    """
    keyed = hmac.new(key, digestmod=hashlib.sha256)
    canonical, quote = _canonical, _quote
    previous_hash = GENESIS
    expected = 1
    legacy = 0
    for sequence, time, principal, action, environment, target, outcome, text, previous, stored in rows:
        if sequence != expected:
            return ChainReport(
                expected - 1, legacy, previous_hash,
                ChainBreak(expected, f"entry {expected} is missing (next present is {sequence})"),
            )
        if previous != previous_hash:
            return ChainReport(
                expected - 1, legacy, previous_hash,
                ChainBreak(sequence, "its previous-hash does not match the entry before it"),
            )
        # Details are stored in canonical form, so the body is spliced around the stored text instead of
        # parsing and re-encoding it. Sound: the other fields' JSON is self-delimiting and fixed by their
        # columns, so equal bytes mean equal fields and equal text. Text in any other form (legacy rows)
        # does not match this way and is checked the slow way, parsed and re-encoded.
        try:  # the canonical JSON of the other fields, written out: four times faster than the encoder
            prefix = (
                f"[{sequence:d},{quote(time)},{quote(principal)},{quote(action)},"
                f"{'null' if environment is None else quote(environment)},"
                f"{'null' if target is None else quote(target)},{quote(outcome)}]"
            )
        except (TypeError, ValueError):  # a column holding something other than text: the encoder decides
            prefix = canonical([sequence, time, principal, action, environment, target, outcome])
        body = f'{prefix[:-1]},{text},"{previous}"]'.encode()
        if sequence >= keyed_from:
            mac = keyed.copy()
            mac.update(body)
            computed = mac.hexdigest()
        else:
            computed = hashlib.sha256(body).hexdigest()
        if computed != stored and _slow_hash(keyed, sequence >= keyed_from, prefix, text, previous) != stored:
            return ChainReport(
                expected - 1, legacy, previous_hash, ChainBreak(sequence, _content_reason(sequence, keyed_from))
            )
        if sequence < keyed_from:
            legacy += 1
        previous_hash = stored
        expected += 1
    return ChainReport(expected - 1, legacy, previous_hash, None)


def _slow_hash(keyed: Any, is_keyed: bool, prefix: str, text: str, previous: str) -> str:
    try:
        details = json.loads(text)
    except ValueError:
        details = {"unreadable": text}
    body = f"{prefix[:-1]},{_canonical(details)},{_canonical(previous)}]".encode()
    if not is_keyed:
        return hashlib.sha256(body).hexdigest()
    mac = keyed.copy()
    mac.update(body)
    return str(mac.hexdigest())


def _content_reason(sequence: int, keyed_from: int) -> str:
    if sequence >= keyed_from:
        return "its content does not match its hash (edited after writing, or rehashed without the chain key)"
    return "its content does not match its hash (edited after writing)"


def rows_of(entries: Iterable[AuditEntry]) -> Iterator[StoredRow]:
    """ENTRIES as stored rows, for checking entries already read (tests, an export)."""
    for e in entries:
        yield (
            e.sequence, e.time, e.principal, e.action, e.environment, e.target, e.outcome,
            canonical_details(e.details), e.previous_hash, e.hash,
        )


def first_break(entries: Iterable[AuditEntry], key: bytes, *, keyed_from: int = 1) -> ChainBreak | None:
    """The first entry whose content, link or position does not hold, or None for an intact chain."""
    return check_rows(rows_of(entries), key, keyed_from=keyed_from).broken
