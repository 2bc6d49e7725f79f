"""`audit verify` on a long keyed chain: entries checked per second and the memory it takes.

Builds a chain of N entries (default 200,000) on an embedded SQLite store, written through
audit_repo.append with the chain key as every verb writes them, then verifies it in a fresh
process (so its peak RSS is verify's own, not the build's): the whole `audit.verify` verb
(access check, master key, the keyed-from record, every entry's HMAC, the head) and the bare
walk under it. The unkeyed chain this replaced checked ~50,000 entries/s (BENCHMARKS.md);
the goal is >= 100,000 entries/s with memory flat in N.

    .venv/bin/python benchmarks/audit_verify.py [--entries 1000000]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from stageward.testing import make_context, write_project

ACTIONS = ["access.grant", "model.register", "alias.set", "secrets.get", "promotion.approve"]


def _environ(root: Path) -> dict[str, str]:
    return {"STAGEWARD_MASTER_KEY_FILE": str(root / "keys" / "master.key"), "STAGEWARD_USER": "alice"}


def build(root: Path, entries: int) -> float:
    """A project in ROOT whose store holds ENTRIES audit entries; returns the seconds it took."""
    from stageward.service.chain_key import chain_key
    from stageward.store.db import audit_repo

    write_project(root)
    ctx = make_context(root, environ=_environ(root))
    started = time.perf_counter()
    database = ctx.database  # creates the store: entry 1, store.create
    with database.transaction(write=True) as conn:
        key = chain_key(ctx, conn)
        for i in range(2, entries + 1):
            audit_repo.append(
                conn,
                key=key,
                time=f"2026-11-25T12:{i // 60 % 60:02d}:{i % 60:02d}.{i % 1_000_000:06d}Z",
                principal=f"user{i % 37}",
                action=ACTIONS[i % len(ACTIONS)],
                environment=("development", "staging", "production")[i % 3],
                target=f"ranker:{i}",
                outcome="ok" if i % 11 else "denied",
                details={"version": i, "reason": "benchmark entry", "tags": {"team": "lp", "n": i % 7}},
            )
    ctx.close()
    return time.perf_counter() - started


def _unkeyed_walk(conn: Any) -> int:
    """The verify this replaced, step for step: each entry read as an AuditEntry, its details parsed and
    re-encoded, a plain sha256 compared (the hashes here are HMACs, so it counts mismatches instead of stopping)."""
    from stageward.audit.chain import GENESIS, entry_hash
    from stageward.store.db import audit_repo

    previous, differing = GENESIS, 0
    for e in audit_repo.iter_entries(conn):
        digest = entry_hash(
            None, sequence=e.sequence, time=e.time, principal=e.principal, action=e.action,
            environment=e.environment, target=e.target, outcome=e.outcome, details=e.details,
            previous_hash=e.previous_hash,
        )
        differing += (e.previous_hash != previous) + (digest != e.hash)
        previous = e.hash
    return differing


def measure(root: Path) -> dict[str, float]:
    """In this (fresh) process: verify ROOT's chain through the verb and as a bare walk; rates and peak RSS."""
    from stageward.audit.chain import check_rows
    from stageward.client import Client, LocalTransport
    from stageward.service.chain_key import chain_key
    from stageward.store.db import audit_repo

    ctx = make_context(root, environ=_environ(root))
    client = Client(LocalTransport(context=ctx))
    with ctx.database.transaction(write=False) as conn:
        key = chain_key(ctx, conn, create=False)
        audit_repo.head(conn)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started, cpu = time.perf_counter(), time.process_time()
    result = client.call("audit.verify")
    verb_seconds, verb_cpu = time.perf_counter() - started, time.process_time() - cpu
    rss_after_verb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with ctx.database.transaction(write=False) as conn:
        started, cpu = time.perf_counter(), time.process_time()
        report = check_rows(audit_repo.iter_rows(conn), key)
        walk_seconds, walk_cpu = time.perf_counter() - started, time.process_time() - cpu
        started, cpu = time.perf_counter(), time.process_time()
        _unkeyed_walk(conn)
        unkeyed_seconds, unkeyed_cpu = time.perf_counter() - started, time.process_time() - cpu
    assert report.broken is None and report.entries == result["entries"]
    ctx.close()
    return {
        "entries": result["entries"],
        "verb_seconds": verb_seconds,
        "verb_cpu": verb_cpu,
        "walk_seconds": walk_seconds,
        "walk_cpu": walk_cpu,
        "unkeyed_seconds": unkeyed_seconds,
        "unkeyed_cpu": unkeyed_cpu,
        "rss_before_kib": rss_before,
        "rss_peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "rss_after_verb_kib": rss_after_verb,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=200_000)
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # the child process's half
    args = parser.parse_args()
    if args.measure is not None:
        sys.stdout.write(json.dumps(measure(args.measure)) + "\n")
        return
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "project"
        print(f"audit verify: building a keyed chain of {args.entries:,} entries on SQLite ...")
        seconds = build(root, args.entries)
        print(f"  built in {seconds:.1f} s ({args.entries / seconds:,.0f} appends/s in one transaction)")
        child = subprocess.run(
            [sys.executable, __file__, "--measure", str(root)], capture_output=True, text=True, check=True
        )
        m = json.loads(child.stdout)
    n = m["entries"]
    goal = 100_000
    print(f"  {'':<58} {'entries/s':>12} {'per CPU-s':>12}")
    for label, key in [
        ("audit.verify (access, key, keyed-from MAC, HMACs, head)", "verb"),
        ("the bare keyed walk (check_rows over iter_rows)", "walk"),
        ("the unkeyed verify it replaced, in this run", "unkeyed"),
    ]:
        print(f"  {label:<58} {n / m[key + '_seconds']:>12,.0f} {n / m[key + '_cpu']:>12,.0f}")
    verb_rate = n / m["verb_seconds"]
    print(f"  audit.verify is {m['unkeyed_seconds'] / m['verb_seconds']:.1f}x the unkeyed verify's rate and "
          f"{verb_rate / goal:.2f}x the goal of {goal:,}/s (wall clock; per CPU-second "
          f"{n / m['verb_cpu'] / goal:.2f}x, what a busy machine leaves of it)")
    grown = (m["rss_after_verb_kib"] - m["rss_before_kib"]) / 1024
    print(f"  peak RSS {m['rss_peak_kib'] / 1024:.0f} MiB; verify added {grown:.1f} MiB over the opened store "
          f"({grown * 1024 * 1024 / n:.1f} bytes per entry: flat if this stays put as --entries grows)")


if __name__ == "__main__":
    main()
