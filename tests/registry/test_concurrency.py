"""Real processes at once, and processes killed at random points, on SQLite and PostgreSQL."""

import itertools
import os
import random
import signal
import time
from pathlib import Path

import pytest

from stageward.testing import write_project
from tests.registry.support import run_cli, spawn_cli

pytestmark = pytest.mark.slow


def check_invariants(alice, root: Path) -> int:
    """No version points at a missing blob, no alias at a missing version; verify passes on every alias."""
    ctx = alice.transport.context
    checked = 0
    for asset in alice.call("model.list"):
        env, name = asset["env"], asset["name"]
        store = ctx.blob_store(env)
        for version in range(1, (asset["latest"] or 0) + 1):
            record = alice.call("model.show", env=env, ref=f"{name}:{version}")
            for entry in record["files"]:
                assert store.exists(entry["sha256"]), f"{record['ref']} points at a missing blob"
            checked += 1
        for alias, version in asset["aliases"].items():
            assert 1 <= version <= asset["latest"]
            assert alice.call("verify.asset", ref=f"{env}/{name}@{alias}")["ok"]
    return checked


def test_ten_processes_move_one_alias(client_for, store_url, project_root):
    alice = client_for("alice")
    key = {"STAGEWARD_MASTER_KEY_FILE": alice.transport.context.environ["STAGEWARD_MASTER_KEY_FILE"]}
    model = project_root / "w.bin"
    model.write_bytes(b"weights")
    uploaded = alice.call("model.upload", env="staging", path=str(model))
    for _ in range(10):
        alice.call("model.register", env="staging", name="ranker", files=uploaded["files"])
    procs = [
        spawn_cli(
            project_root,
            store_url,
            "alice",
            "model",
            "alias",
            "set",
            "ranker",
            str(v),
            "champion",
            "--env",
            "staging",
            extra=key,
        )
        for v in range(1, 11)
    ]
    results = [(p.wait(timeout=60), p.stderr.read()) for p in procs]
    for code, err in results:
        assert code in (0, 5), err
        if code == 5:
            assert "error:" in err
    history = alice.call("model.alias_history", env="staging", name="ranker", alias="champion")
    succeeded = [code for code, _ in results].count(0)
    assert len(history) == succeeded >= 9
    assert sorted(h["version"] for h in history) == sorted(set(h["version"] for h in history))
    for before, after in itertools.pairwise(history):
        assert after["previous_version"] == before["version"]  # a serial order, none lost
    holder = alice.call("model.show", env="staging", ref="staging/ranker@champion")["version"]
    assert holder == history[-1]["version"]


def test_registration_killed_at_random_points(client_for, store_url, project_root):
    alice = client_for("alice")
    key = {"STAGEWARD_MASTER_KEY_FILE": alice.transport.context.environ["STAGEWARD_MASTER_KEY_FILE"]}
    big = project_root / "big.bin"
    with open(big, "wb") as handle:
        handle.write(os.urandom(1 << 20) * 24)  # 24 MB: the kill lands while hashing, uploading or recording
    rng = random.Random(7)
    kills = attempts = 0
    while kills < 20 and attempts < 40:
        attempts += 1
        if attempts % 3:
            # New bytes most times; otherwise the next registration may reuse a blob a killed one published.
            big.write_bytes(os.urandom(1 << 20) * 24)
        proc = spawn_cli(
            project_root, store_url, "alice", "model", "register", "ranker", str(big), "--env", "staging", extra=key
        )
        time.sleep(rng.uniform(0.1, 0.8))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait(timeout=60)
    assert kills >= 20
    check_invariants(alice, project_root)
    alice.call("gc.run", older_than=0)
    store = alice.transport.context.blob_store("staging")
    assert list(store.temporary_dir.iterdir()) == []
    final = run_cli(
        project_root, store_url, "alice", "model", "register", "ranker", str(big), "--env", "staging", extra=key
    )
    assert final.returncode == 0, final.stderr


def test_cross_store_promotion_killed_at_random_points(tmp_path, store_url, context_for):
    from stageward.client import Client, LocalTransport
    from tests.registry.support import project_with_production_blobs, project_without_approvals

    root = tmp_path / "crossing"
    write_project(root, project_without_approvals(project_with_production_blobs("file://./prod-blobs")))
    key = {"STAGEWARD_MASTER_KEY_FILE": str(tmp_path / "keys" / "master.key")}  # the store's, from context_for
    alice = Client(LocalTransport(root, principal="alice", environ={"STAGEWARD_STORE": store_url, **key}))
    try:
        big = root / "big.bin"
        versions = 0
        rng = random.Random(11)
        kills = 0
        attempts = 0
        # How long a promote takes on this machine, learnt from those that finish: the kill falls at a random
        # point of that span, so it lands inside the promotion however fast or loaded the machine is.
        span = 1.0
        while kills < 20 and attempts < 40:
            attempts += 1
            big.write_bytes(os.urandom(1 << 20) * 32)
            uploaded = alice.call("model.upload", env="staging", path=str(big))
            alice.call(
                "model.register", env="staging", name="ranker", files=uploaded["files"], metrics={"auc": 0.9}
            )
            versions += 1
            proc = spawn_cli(
                root,
                store_url,
                "alice",
                "promote",
                "ranker",
                str(versions),
                "--from",
                "staging",
                "--to",
                "production",
                extra=key,
            )
            started = time.monotonic()
            time.sleep(rng.uniform(0.1, 0.95) * span)
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                kills += 1
            code = proc.wait(timeout=60)
            if code == 0:
                span = time.monotonic() - started
            assert code in (0, -9, 1), proc.stderr.read()
        assert kills >= 20
        check_invariants(alice, root)
        # Promotions left approved by a kill finish when executed again, exactly once.
        for row in alice.call("promotion.list", state="approved"):
            done = run_cli(root, store_url, "alice", "promotion", "execute", str(row["id"]), extra=key)
            assert done.returncode == 0, done.stderr
        check_invariants(alice, root)
        alice.call("gc.run", older_than=0)
        for env in ("staging", "production"):
            assert list(alice.transport.context.blob_store(env).temporary_dir.iterdir()) == []
    finally:
        alice.close()
