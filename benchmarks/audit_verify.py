"""`audit verify` on a long keyed chain, on SQLite and on PostgreSQL: entries checked per second and memory.

For each engine a store is filled to each size in turn (default 100,000 then 1,000,000 entries): the
entries are computed by the real chain code (audit.chain.entry_hash under the store's chain key, the
details in their canonical form) and inserted in batches, then the chain is verified in a fresh process
(so its peak RSS is verify's own, not the build's): the whole `audit.verify` verb (access check, master
key, the keyed-from record, every entry's HMAC, the head) and the bare walk under it. Goal
(BENCHMARKS.md): >= 100,000 entries/s, and memory flat: the peak RSS at 1,000,000 entries is the one at
100,000. PostgreSQL is a throwaway server started as the tests start theirs (tests/pgserver.py).

    .venv/bin/python benchmarks/audit_verify.py [--sizes 100000,1000000] [--engines sqlite,postgresql]
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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ACTIONS = ["access.grant", "model.register", "alias.set", "secrets.get", "promotion.approve"]
BATCH = 10_000
GOAL = 100_000


def _environ(root: Path) -> dict[str, str]:
    return {"STAGEWARD_MASTER_KEY_FILE": str(root / "keys" / "master.key"), "STAGEWARD_USER": "alice"}


def _context(root: Path, store_url: str | None) -> Any:
    from stageward.testing import make_context

    return make_context(root, environ=_environ(root), store_url=store_url)


def extend(root: Path, store_url: str | None, entries: int) -> float:
    """Grow ROOT's chain to ENTRIES entries, computed by the chain code and inserted in batches; seconds taken."""
    from sqlalchemy import insert, update

    from stageward.audit.chain import canonical_details, entry_hash
    from stageward.service.chain_key import chain_key
    from stageward.store.db import audit_repo
    from stageward.store.db.schema import audit_head, audit_log

    ctx = _context(root, store_url)
    started = time.perf_counter()
    with ctx.database.transaction(write=True) as conn:  # the first open creates the store: entry 1
        key = chain_key(ctx, conn)
        head = audit_repo.head(conn)
        sequence, previous = head.sequence, head.hash
        rows: list[dict[str, Any]] = []
        for i in range(sequence + 1, entries + 1):
            entry = {
                "sequence": i,
                "time": f"2026-11-25T12:{i // 60 % 60:02d}:{i % 60:02d}.{i % 1_000_000:06d}Z",
                "principal": f"user{i % 37}",
                "action": ACTIONS[i % len(ACTIONS)],
                "environment": ("development", "staging", "production")[i % 3],
                "target": f"ranker:{i}",
                "outcome": "ok" if i % 11 else "denied",
            }
            details = {"version": i, "reason": "benchmark entry", "tags": {"team": "lp", "n": i % 7}}
            digest = entry_hash(key, **entry, details=details, previous_hash=previous)
            rows.append({**entry, "details": canonical_details(details), "previous_hash": previous, "hash": digest})
            previous = digest
            if len(rows) == BATCH:
                conn.execute(insert(audit_log), rows)
                rows = []
        if rows:
            conn.execute(insert(audit_log), rows)
        conn.execute(update(audit_head).where(audit_head.c.id == 1), {"sequence": entries, "hash": previous})
    ctx.close()
    return time.perf_counter() - started


def measure(root: Path, store_url: str | None) -> dict[str, float]:
    """In this (fresh) process: verify ROOT's chain through the verb and as a bare walk; rates and peak RSS."""
    from stageward.audit.chain import check_rows
    from stageward.client import Client, LocalTransport
    from stageward.service.chain_key import chain_key
    from stageward.store.db import audit_repo

    ctx = _context(root, store_url)
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
    assert report.broken is None and report.entries == result["entries"], (report, result)
    ctx.close()
    return {
        "entries": result["entries"],
        "verb_seconds": verb_seconds,
        "verb_cpu": verb_cpu,
        "walk_seconds": walk_seconds,
        "walk_cpu": walk_cpu,
        "rss_before_kib": rss_before,
        "rss_after_verb_kib": rss_after_verb,
    }


def run_engine(engine: str, sizes: list[int], work: Path) -> list[dict[str, float]]:
    from stageward.testing import write_project

    root = work / engine
    write_project(root)
    server = None
    store_url = None
    if engine == "postgresql":
        from tests.pgserver import PostgresServer

        server = PostgresServer().start()
        store_url = server.create_database()
    try:
        results = []
        for size in sizes:
            seconds = extend(root, store_url, size)
            print(f"  {engine}: chain grown to {size:,} entries in {seconds:.1f} s")
            child = subprocess.run(
                [sys.executable, __file__, "--measure", str(root), "--store-url", store_url or ""],
                capture_output=True,
                text=True,
                check=True,
            )
            results.append(json.loads(child.stdout))
        return results
    finally:
        if server is not None:
            server.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # the child process's half
    parser.add_argument("--store-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure is not None:
        sys.stdout.write(json.dumps(measure(args.measure, args.store_url or None)) + "\n")
        return
    sizes = sorted(int(size) for size in args.sizes.split(","))
    table = []
    with tempfile.TemporaryDirectory() as folder:
        for engine in args.engines.split(","):
            for m in run_engine(engine, sizes, Path(folder)):
                table.append((engine, m))
    print(f"\n{'engine':<11} {'entries':>10} {'verify/s':>10} {'walk/s':>10} {'per CPU-s':>10} {'x goal':>7} "
          f"{'peak RSS':>9} {'verify added':>13}")
    for engine, m in table:
        n = m["entries"]
        rate = n / m["verb_seconds"]
        grown = (m["rss_after_verb_kib"] - m["rss_before_kib"]) / 1024
        print(f"{engine:<11} {n:>10,} {rate:>10,.0f} {n / m['walk_seconds']:>10,.0f} {n / m['verb_cpu']:>10,.0f} "
              f"{rate / GOAL:>6.2f}x {m['rss_after_verb_kib'] / 1024:>6.0f} MiB {grown:>9.1f} MiB")
    print(f"goal: audit.verify >= {GOAL:,} entries/s (wall clock; per CPU-second is what a busy machine leaves "
          "of it), peak RSS the same at every size")


if __name__ == "__main__":
    main()
