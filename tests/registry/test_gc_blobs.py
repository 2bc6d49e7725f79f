"""`gc --blobs`: published blobs no version references go after a grace period; referenced, young and just-kept
ones stay, on SQLite and PostgreSQL, on file:// and s3:// stores."""

from __future__ import annotations

import hashlib
import os
import threading
import time
from pathlib import Path

import pytest

from stageward.errors import BadInput, Denied, NotFound
from stageward.store.blobs.file import FileBlobStore
from stageward.testing import write_project
from tests.registry.support import project_with_production_blobs, run_cli

DAY = 24 * 3600


def _file(folder: Path, name: str, size: int = 4096) -> tuple[Path, str]:
    path = folder / name
    path.write_bytes(os.urandom(size))
    return path, hashlib.sha256(path.read_bytes()).hexdigest()


def _age(store: FileBlobStore, digest: str, seconds: float) -> None:
    """As if the blob had been published SECONDS ago."""
    then = time.time() - seconds
    os.utime(store.path_of(digest), (then, then))


def _gone(result: dict, store_url: str) -> list[str]:
    return [b["sha256"] for s in result["stores"] if s["store"] == store_url for b in s["blobs"]]


def test_old_unreferenced_blobs_go_referenced_and_young_ones_stay(client_for, tmp_path):
    alice = client_for("alice")
    store = alice.transport.context.blob_store("staging")
    kept, kept_digest = _file(tmp_path, "kept.bin")
    orphan, orphan_digest = _file(tmp_path, "orphan.bin")
    young, young_digest = _file(tmp_path, "young.bin")
    alice.call("model.publish", env="staging", name="ranker", path=str(kept))
    alice.call("model.upload", env="staging", path=str(orphan))  # an upload never registered
    alice.call("model.upload", env="staging", path=str(young))  # one still on its way to register
    _age(store, kept_digest, 3 * DAY)
    _age(store, orphan_digest, 2 * DAY)

    planned = alice.call("gc.run", blobs=True, dry_run=True)
    assert planned["dry_run"] and planned["blobs_removed"] == 1 and planned["blob_bytes"] == 4096
    assert _gone(planned, store.url) == [orphan_digest]
    assert store.exists(orphan_digest)  # a dry run removes nothing

    removed = alice.call("gc.run", blobs=True)
    assert _gone(removed, store.url) == [orphan_digest] and removed["blobs_removed"] == 1
    assert not store.exists(orphan_digest)
    assert store.exists(kept_digest) and store.exists(young_digest)
    assert alice.call("verify.asset", ref="staging/ranker")["ok"]
    entry = alice.call("audit.list", action="gc.run")[-1]
    assert entry["details"]["blobs"] == 1 and entry["details"]["blob_bytes"] == 4096
    # A shorter grace reaches the young one; the referenced one is kept at any age.
    assert _gone(alice.call("gc.run", blobs=True, older_than=0), store.url) == [young_digest]
    assert store.exists(kept_digest)


def test_an_upload_that_finds_an_old_blob_keeps_it_for_its_register(client_for, tmp_path):
    alice = client_for("alice")
    store = alice.transport.context.blob_store("development")
    model, digest = _file(tmp_path, "model.bin")
    alice.call("model.upload", env="development", path=str(model))
    _age(store, digest, 2 * DAY)  # published long ago, never registered: garbage by now
    again = alice.call("model.upload", env="development", path=str(model))
    assert again["uploaded_bytes"] == 0  # already there: not sent again, but kept
    assert alice.call("gc.run", blobs=True)["blobs_removed"] == 0  # gc runs between upload and register
    version = alice.call("model.register", env="development", name="ranker", files=again["files"])
    assert version["version"] == 1 and store.exists(digest)
    # Past the grace period between upload and register, the register fails whole: no version without bytes.
    later, later_digest = _file(tmp_path, "later.bin")
    late = alice.call("model.upload", env="development", path=str(later))
    _age(store, later_digest, 2 * DAY)
    assert alice.call("gc.run", blobs=True)["blobs_removed"] == 1
    with pytest.raises(NotFound, match=rf"later.bin: blob sha256:{later_digest[:12]} is not in"):
        alice.call("model.register", env="development", name="ranker", files=late["files"])
    assert alice.call("model.show", env="development", ref="ranker")["version"] == 1


def test_registers_racing_gc_keep_their_blobs(client_for, tmp_path):
    """Uploads of content already published long ago, registered while gc --blobs runs again and again."""
    alice, gc_runner = client_for("alice"), client_for("alice")
    store = alice.transport.context.blob_store("sandbox")
    models = [_file(tmp_path, f"m{i}.bin") for i in range(8)]
    for path, digest in models:
        alice.call("model.upload", env="sandbox", path=str(path))
        _age(store, digest, 2 * DAY)
    stop = threading.Event()
    failures: list[BaseException] = []

    def collect() -> None:
        try:
            while not stop.is_set():
                gc_runner.call("gc.run", blobs=True)
        except BaseException as exc:  # handed to the test
            failures.append(exc)

    collector = threading.Thread(target=collect)
    collector.start()
    try:
        for index, (path, _) in enumerate(models):
            alice.call("model.publish", env="sandbox", name=f"m{index}", path=str(path))
    finally:
        stop.set()
        collector.join()
    assert failures == []
    for index, (_, digest) in enumerate(models):
        assert store.exists(digest)
        assert alice.call("verify.asset", ref=f"sandbox/m{index}")["ok"]


def test_gc_blobs_is_for_store_admins_and_checks_its_grace(client_for):
    alice, bob = client_for("alice"), client_for("bob")
    alice.call("access.grant", principal="bob", role="admin", env="development")
    assert bob.call("gc.run")["removed"] == 0  # temporaries: anyone who can register somewhere
    with pytest.raises(Denied, match="bob lacks access.manage in sandbox store-wide"):
        bob.call("gc.run", blobs=True)
    with pytest.raises(BadInput, match="--older-than -1: expected a finite number of seconds"):
        alice.call("gc.run", blobs=True, older_than=-1)


def test_a_removal_waits_for_a_keep_and_then_leaves_the_blob(tmp_path):
    """On file:// the age is read again under an exclusive flock; an upload keeps a blob under a shared one."""
    import fcntl

    store = FileBlobStore(tmp_path / "blobs")
    writer = store.open_write()
    writer.write(b"weights")
    digest = writer.commit().sha256
    _age(store, digest, 2 * DAY)
    cutoff = time.time() - DAY
    holder = os.open(store.path_of(digest), os.O_RDONLY)
    fcntl.flock(holder, fcntl.LOCK_SH)  # an upload in the middle of keep()
    outcome: list[bool] = []
    remover = threading.Thread(target=lambda: outcome.append(store.remove_blob(digest, cutoff)))
    remover.start()
    time.sleep(0.2)
    assert remover.is_alive() and outcome == []  # waits for the keep to finish
    os.utime(holder)  # what keep() does under its lock
    fcntl.flock(holder, fcntl.LOCK_UN)
    os.close(holder)
    remover.join()
    assert outcome == [False] and store.exists(digest)
    _age(store, digest, 2 * DAY)
    assert store.remove_blob(digest, cutoff) and not store.exists(digest)
    assert not store.keep(digest)  # gone: an upload then publishes it again


@pytest.mark.s3
def test_gc_blobs_on_s3(tmp_path, s3_bucket, store_url):
    root = tmp_path / "project"
    url = f"s3://{s3_bucket}/prod"
    write_project(root, project_with_production_blobs(url))
    kept, kept_digest = _file(tmp_path, "kept.bin")
    orphan, orphan_digest = _file(tmp_path, "orphan.bin")
    registered = run_cli(root, store_url, "alice", "model", "register", "ranker", str(kept), "--env", "production")
    assert registered.returncode == 0, registered.stderr
    from stageward.client import Client, LocalTransport
    from stageward.store.blobs import open_blob_store
    from stageward.testing import make_context

    ctx = make_context(root, principal="alice", store_url=store_url)
    try:
        Client(LocalTransport(context=ctx)).call("model.upload", env="production", path=str(orphan))
    finally:
        ctx.close()
    store = open_blob_store(url)
    before = {b.sha256: b.modified for b in store.published_blobs()}
    assert set(before) == {kept_digest, orphan_digest}

    young = run_cli(root, store_url, "alice", "gc", "--blobs", "--json")  # default grace: 24 h
    assert young.returncode == 0, young.stderr
    assert '"blobs_removed": 0' in young.stdout
    time.sleep(1.1)
    assert store.keep(orphan_digest)  # an upload finding it: LastModified moves to now
    assert {b.sha256: b.modified for b in store.published_blobs()}[orphan_digest] > before[orphan_digest]

    wide = {"COLUMNS": "300"}
    planned = run_cli(root, store_url, "alice", "gc", "--blobs", "--older-than", "0", "--dry-run", extra=wide)
    assert planned.returncode == 0, planned.stderr
    assert orphan_digest in planned.stdout and kept_digest not in planned.stdout
    assert planned.stdout.strip().endswith("would remove 0 temporary blob(s) and 1 unreferenced blob(s) (4096 bytes)")
    time.sleep(0.05)
    removed = run_cli(root, store_url, "alice", "gc", "--blobs", "--older-than", "0")
    assert removed.returncode == 0, removed.stderr
    assert removed.stdout.strip().endswith("removed 0 temporary blob(s) and 1 unreferenced blob(s) (4096 bytes)")
    assert [b.sha256 for b in store.published_blobs()] == [kept_digest]
    verified = run_cli(root, store_url, "alice", "verify", "production/ranker")
    assert verified.returncode == 0, verified.stderr


def test_gc_blobs_from_the_cli(tmp_path):
    root = tmp_path / "project"
    write_project(root)
    store_url = f"sqlite:///{root / '.stageward' / 'stageward.db'}"
    orphan, digest = _file(tmp_path, "orphan.bin")
    assert run_cli(root, store_url, "alice", "env", "list").returncode == 0
    store = FileBlobStore(root / ".stageward" / "blobs")
    with open(orphan, "rb") as stream:
        from stageward.store.blobs.base import put_stream

        assert put_stream(store, stream).sha256 == digest
    _age(store, digest, 2 * DAY)
    planned = run_cli(root, store_url, "alice", "gc", "--blobs", "--dry-run", extra={"COLUMNS": "300"})
    assert planned.returncode == 0, planned.stderr
    assert digest in planned.stdout and store.exists(digest)
    assert planned.stdout.strip().splitlines()[-1] == (
        "would remove 0 temporary blob(s) and 1 unreferenced blob(s) (4096 bytes)"
    )
    kept = run_cli(root, store_url, "alice", "gc", "--blobs", "--older-than", "3d")
    assert kept.returncode == 0 and kept.stdout.strip() == (
        "removed 0 temporary blob(s) and 0 unreferenced blob(s) (0 bytes)"
    )
    denied = run_cli(root, store_url, "bob", "gc", "--blobs")
    assert denied.returncode == 3
    assert denied.stderr.startswith("error: denied: bob lacks access.manage in ")
    bad = run_cli(root, store_url, "alice", "gc", "--blobs", "--older-than", "soon")
    assert bad.returncode == 2 and bad.stderr.startswith("error: --older-than 'soon'")
    assert len(bad.stderr.strip().splitlines()) <= 2
    removed = run_cli(root, store_url, "alice", "gc", "--blobs", "--json")
    assert removed.returncode == 0, removed.stderr
    import json

    result = json.loads(removed.stdout)
    assert result["blobs_removed"] == 1 and result["stores"][0]["blobs"][0]["sha256"] == digest
    assert not store.exists(digest)
