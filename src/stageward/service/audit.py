"""Reading, verifying, anchoring and exporting the audit chain."""

from __future__ import annotations

from stageward.audit.anchor import FORMAT as ANCHOR_FORMAT
from stageward.audit.anchor import Anchor, parse_anchor
from stageward.audit.chain import check_rows, keyed_from_holds
from stageward.errors import BadInput, CheckFailed, NotFound
from stageward.service.catalogue import verb
from stageward.service.chain_key import chain_key
from stageward.service.clock import parse_instant
from stageward.service.results.audit import AuditEntry, ChainAnchor, ChainVerified
from stageward.service.unit import Unit
from stageward.store.db import access_repo, audit_repo


def _readable(unit: Unit, env: str | None) -> set[str | None]:
    if env is not None:
        unit.require("audit.read", env)
        return {env}
    # Entries with no environment (teams, store creation) go to anyone who may read audit anywhere.
    return {*unit.require_somewhere("audit.read"), None}


@verb("audit.list", http=("GET", "/audit"))
def list_entries(
    unit: Unit,
    *,
    env: str | None = None,
    principal: str | None = None,
    action: str | None = None,
    since: str | None = None,
    limit: int = 200,
) -> list[AuditEntry]:
    """The latest audit entries, oldest first, filtered."""
    if limit < 1 or limit > 100_000:
        raise BadInput(f"--limit {limit}: expected 1 to 100000")
    # As the store writes times (fixed-width UTC), so the comparison is exact; a time without offset is UTC.
    cutoff = parse_instant(since, option="--since") if since is not None else None
    readable = _readable(unit, env)
    entries = audit_repo.query(
        unit.conn, environments=readable, principal=principal, action=action, since=cutoff, limit=limit
    )
    return [AuditEntry.from_record(e) for e in entries]


def _keyed_from(unit: Unit, key: bytes, head_sequence: int) -> int | None:
    """Where the keyed part of the chain starts, its record checked against its MAC; None: not keyed yet (legacy)."""
    stored = audit_repo.keyed_from(unit.conn)
    value, mac = stored.value, stored.mac
    if value is None and mac is None:
        return None
    record = f"{audit_repo.KEYED_FROM} (where the keyed chain starts)"
    if value is None:
        raise CheckFailed(f"audit chain broken: {record} is missing but its MAC is present (removed)")
    if mac is None:
        raise CheckFailed(f"audit chain broken: {record} has no MAC ({audit_repo.KEYED_FROM_MAC} removed)")
    sequence = int(value) if value.isascii() and value.isdigit() and len(value) < 19 else 0
    if sequence < 1 or not keyed_from_holds(key, sequence, mac):
        raise CheckFailed(
            f"audit chain broken: {record} does not match its MAC: altered without the chain key, "
            "or this is not the master key the chain was written with"
        )
    if sequence > head_sequence:
        raise CheckFailed(
            f"audit chain broken at entry {head_sequence + 1}: the keyed chain starts at entry {sequence} "
            f"but the log ends at {head_sequence} (entries removed)"
        )
    return sequence


@verb("audit.verify", http=("GET", "/audit/verify"))
def verify(unit: Unit, *, anchor: str | None = None) -> ChainVerified:
    """Recompute the whole chain with the chain key; fail naming the first entry that does not hold.

    ANCHOR (SEQUENCE:HASH, from `audit anchor`) must also still be in the chain at its sequence.
    """
    unit.require_somewhere("audit.read")
    expected = parse_anchor(anchor, source="--anchor") if anchor is not None else None
    key = chain_key(unit.ctx, unit.conn, create=False)
    head = audit_repo.head(unit.conn)
    head_sequence, head_hash = head.sequence, head.hash
    keyed_from = _keyed_from(unit, key, head_sequence)
    report = check_rows(
        audit_repo.iter_rows(unit.conn), key, keyed_from=keyed_from if keyed_from is not None else head_sequence + 1
    )
    if report.broken is not None:
        if keyed_from is None and check_rows(audit_repo.iter_rows(unit.conn), key).entries > report.entries:
            # Not an edit of the entry but of the record: the entries are keyed, and who says so was removed.
            raise CheckFailed(
                f"audit chain broken: {audit_repo.KEYED_FROM} and {audit_repo.KEYED_FROM_MAC} were removed, "
                "but the entries are keyed"
            )
        raise CheckFailed(f"audit chain broken at entry {report.broken.sequence}: {report.broken.reason}")
    count = report.entries
    if head_sequence != count or (count and head_hash != report.last_hash):
        raise CheckFailed(
            f"audit chain broken at entry {min(head_sequence, count) + 1}: the log ends at {count} "
            f"but its head records {head_sequence} (entries removed)"
        )
    if expected is not None:
        _check_anchor(unit, expected, count)
    return ChainVerified(
        ok=True,
        entries=count,
        head=head_hash,
        legacy=report.legacy,
        keyed_from=keyed_from,
        anchor=expected.line() if expected is not None else None,
    )


def _check_anchor(unit: Unit, anchor: Anchor, count: int) -> None:
    if anchor.sequence > count:
        raise CheckFailed(
            f"anchor {anchor.sequence}:{anchor.hash[:12]}... does not hold: the chain ends at entry {count}, "
            f"before the anchored entry {anchor.sequence} (entries removed and the chain rewritten)"
        )
    entry = audit_repo.entry_at(unit.conn, anchor.sequence)
    if entry is None or entry.hash != anchor.hash:
        now = entry.hash[:12] if entry else "(none)"
        raise CheckFailed(
            f"anchor {anchor.sequence}:{anchor.hash[:12]}... does not hold: entry {anchor.sequence} now has hash "
            f"{now}... (the chain was rewritten at or before entry {anchor.sequence})"
        )


def _store_identity(unit: Unit) -> str:
    """The store an anchor was taken from: its file, or its URL without the password."""
    from sqlalchemy.engine import make_url

    from stageward.store.db.engine import sqlite_path

    database_file = sqlite_path(unit.ctx.store_url)
    if database_file is not None:
        return str(database_file)
    try:
        return make_url(unit.ctx.store_url).render_as_string(hide_password=True)
    except Exception:  # the store opened, so the URL parses; never echo it raw if it somehow does not
        return "(unparsable store URL)"


@verb("audit.anchor", http=("GET", "/audit/anchor"))
def anchor(unit: Unit) -> ChainAnchor:
    """The chain's head (sequence, hash, time, store) to keep outside the store and check with verify --anchor."""
    unit.require_somewhere("audit.read")
    head = audit_repo.head(unit.conn)
    sequence, digest = head.sequence, head.hash
    if sequence == 0:
        raise NotFound("the audit chain has no entries yet: nothing to anchor")
    last = audit_repo.entry_at(unit.conn, sequence)
    if last is None or last.hash != digest:
        raise CheckFailed(
            f"audit chain broken at entry {sequence}: its head does not match the log; "
            "run stageward audit verify before anchoring"
        )
    return ChainAnchor(
        format=ANCHOR_FORMAT,
        anchor=Anchor(sequence, digest).line(),
        sequence=sequence,
        hash=digest,
        time=last.time,
        store=_store_identity(unit),
        store_created_at=access_repo.get_meta(unit.conn, "created_at"),
        taken_at=unit.now(),
    )


@verb("audit.export", http=("GET", "/audit/export"))
def export(unit: Unit, *, env: str | None = None) -> list[AuditEntry]:
    """Every entry the caller may read, in order, with hashes, for an outside copy."""
    readable = _readable(unit, env)
    entries = audit_repo.iter_entries(unit.conn)
    return [AuditEntry.from_record(e) for e in entries if e.environment in readable]
