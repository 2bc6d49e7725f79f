"""Copy to another blob store: a streamed copy verified at the destination, to a folder and to S3 (moto)."""

import hashlib
import os
import threading

import pytest

from stageward.client import Client, LocalTransport
from stageward.testing import write_project
from tests.registry.support import (
    project_with_production_blobs,
    project_without_approvals,
    run_cli,
    spawn_cli,
)


def _client(root, store_url, principal):
    return Client(LocalTransport(root, principal=principal, environ={"STAGEWARD_STORE": store_url}))


@pytest.mark.parametrize("kind", ["file", pytest.param("s3", marks=pytest.mark.s3)])
def test_copy_across_stores(tmp_path, store_url, kind, request):
    url = "file://./prod-blobs"
    if kind == "s3":
        url = f"s3://{request.getfixturevalue('s3_bucket')}/prod"
    root = tmp_path / "p"
    write_project(root, project_without_approvals(project_with_production_blobs(url)))
    alice = _client(root, store_url, "alice")
    try:
        model = root / "model.bin"
        model.write_bytes(os.urandom(3 << 20))
        alice.call("model.publish", env="staging", name="ranker", path=str(model), metrics={"auc": 0.9})
        plan = alice.call("promotion.plan", env="production", source="staging", name="ranker", version=1)
        assert not plan["same_store"] and "verified at the destination" in plan["copy"]
        requested = alice.call(
            "promotion.request", env="production", source="staging", name="ranker", version=1
        )
        # The request flow: its unit leaves it approved, the bytes are copied outside any write
        # transaction, then execute records the version in a unit of its own.
        assert requested["state"] == "executed"
        kinds = [e["action"] for e in alice.call("audit.list", action="promotion.execute")]
        assert kinds == ["promotion.execute"]
        copied = alice.call("promotion.transfer", id=requested["id"])
        assert copied["copied_bytes"] == 0  # executed: nothing left to copy
        again = alice.call("promotion.execute", id=requested["id"])
        assert again["result_version"] == 1  # executes exactly once
        shown = alice.call("model.show", env="production", ref="ranker@champion")
        assert shown["blob_store"] != alice.call("model.show", env="staging", ref="ranker:1")["blob_store"]
        assert alice.call("verify.asset", ref="production/ranker@champion")["lineage"] == [
            "production/ranker:1",
            "staging/ranker:1",
        ]
        out = tmp_path / "out"
        alice.call("model.download", env="production", ref="ranker@champion", dest=str(out))
        assert (out / "model.bin").read_bytes() == model.read_bytes()
    finally:
        alice.close()


def test_cli_promote_across_stores_transfers_then_executes(tmp_path, store_url):
    root = tmp_path / "p"
    write_project(root, project_without_approvals(project_with_production_blobs("file://./prod-blobs")))
    (root / "m.bin").write_bytes(b"m" * 5000)
    assert (
        run_cli(
            root,
            store_url,
            "alice",
            "model",
            "register",
            "ranker",
            "m.bin",
            "--env",
            "staging",
            "--metric",
            "auc=0.95",
        ).returncode
        == 0
    )
    result = run_cli(
        root, store_url, "alice", "promote", "ranker", "1", "--from", "staging", "--to", "production"
    )
    assert result.returncode == 0, result.stderr
    assert "executed: production/ranker:1 holds @champion" in result.stdout
    assert (root / "prod-blobs" / "sha256").is_dir()


def test_two_approvers_give_the_last_approval_at_once(tmp_path, store_url):
    root = tmp_path / "p"
    write_project(root)
    alice = _client(root, store_url, "alice")
    try:
        for person in ("carol", "dave", "erin"):
            alice.call("access.grant", principal=person, role="approver", env="production")
        alice.call("access.grant", principal="bob", role="developer", env="production")
        alice.call("access.grant", principal="bob", role="developer", env="staging")
        (root / "m.bin").write_bytes(b"m")
        alice.call("model.publish", env="staging", name="ranker", path=str(root / "m.bin"), metrics={"auc": 0.9})
        bob = _client(root, store_url, "bob")
        request = bob.call("promotion.request", env="production", source="staging", name="ranker", version=1)
        bob.close()
        _client(root, store_url, "carol").call("promotion.approve", id=request["id"])
        gate = threading.Barrier(2)
        procs: list = []

        def start(person):
            gate.wait()
            procs.append(spawn_cli(root, store_url, person, "promotion", "approve", str(request["id"])))

        threads = [threading.Thread(target=start, args=(p,)) for p in ("dave", "erin")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        outcomes = sorted((p.wait(timeout=60), p.stdout.read(), p.stderr.read()) for p in procs)
        assert [code for code, _, _ in outcomes] == [0, 5], outcomes
        assert "executed" in outcomes[0][1] and "is executed" in outcomes[1][2]
        history = alice.call("model.alias_history", env="production", name="ranker")
        assert len(history) == 1
        assert alice.call("model.list", env="production")[0]["latest"] == 1
        executions = [e for e in alice.call("audit.list", action="promotion.execute") if e["outcome"] == "ok"]
        assert len(executions) == 1
    finally:
        alice.close()


@pytest.mark.parametrize("kind", ["file", pytest.param("s3", marks=pytest.mark.s3)])
def test_a_corrupt_source_is_caught_at_the_destination_and_nothing_moves(tmp_path, store_url, kind, request):
    from stageward.errors import CheckFailed

    url = "file://./prod-blobs"
    if kind == "s3":
        url = f"s3://{request.getfixturevalue('s3_bucket')}/prod"
    root = tmp_path / "p"
    write_project(root, project_without_approvals(project_with_production_blobs(url)))
    alice = _client(root, store_url, "alice")
    try:
        (root / "m.bin").write_bytes(os.urandom(1 << 20))
        uploaded = alice.call("model.upload", env="staging", path=str(root / "m.bin"))
        alice.call(
            "model.register", env="staging", name="ranker", files=uploaded["files"], metrics={"auc": 0.9}
        )
        digest = uploaded["files"][0]["sha256"]
        blob = alice.transport.context.blob_store("staging").path_of(digest)
        os.chmod(blob, 0o644)
        blob.write_bytes(b"rotted" + blob.read_bytes()[6:])
        with pytest.raises(CheckFailed, match="nothing was published"):
            alice.call("promotion.request", env="production", source="staging", name="ranker", version=1)
        [row] = alice.call("promotion.list", env="production")
        with pytest.raises(CheckFailed, match="nothing was published"):
            alice.call("promotion.transfer", id=row["id"])
        assert not alice.transport.context.blob_store("production").exists(digest)
        assert alice.call("model.list", env="production") == []
        assert alice.call("promotion.show", id=row["id"])["state"] == "approved"
    finally:
        alice.close()


def test_progress_is_reported_to_the_object_the_face_passes(tmp_path, store_url):
    class Recorder:
        def __init__(self):
            self.events = []

        def start(self, label, total):
            self.events.append(("start", label.split(" ")[0], total))

        def advance(self, size):
            self.events.append(("advance", size))

        def finish(self):
            self.events.append(("finish",))

    root = tmp_path / "p"
    write_project(root, project_without_approvals(project_with_production_blobs("file://./prod-blobs")))
    alice = _client(root, store_url, "alice")
    try:
        (root / "m.bin").write_bytes(os.urandom(5 << 20))
        upload = Recorder()
        uploaded = alice.call("model.upload", env="staging", path=str(root / "m.bin"), progress=upload)
        starts = [e for e in upload.events if e[0] == "start"]
        assert starts == [("start", "hashing", 5 << 20), ("start", "uploading", 5 << 20)]
        assert sum(e[1] for e in upload.events if e[0] == "advance") == 2 * (5 << 20)
        alice.call(
            "model.register", env="staging", name="ranker", files=uploaded["files"], metrics={"auc": 0.9}
        )
        copy = Recorder()
        alice.call(
            "promotion.request", env="production", source="staging", name="ranker", version=1, progress=copy
        )
        assert copy.events[0] == ("start", "copying", 5 << 20)
        assert sum(e[1] for e in copy.events if e[0] == "advance") == 5 << 20
        download = Recorder()
        alice.call(
            "model.download", env="staging", ref="ranker", dest=str(tmp_path / "out"), progress=download
        )
        assert download.events[0] == ("start", "downloading", 5 << 20) and download.events[-1] == ("finish",)
    finally:
        alice.close()


@pytest.mark.parametrize("kind", ["file", pytest.param("s3", marks=pytest.mark.s3)])
def test_a_dataset_of_many_shards_crosses_stores_whole_or_names_what_it_lacks(tmp_path, store_url, kind, request):
    """Small shards are copied several at once into S3, a large file alone; each is verified where it lands. A
    shard gone from the source stops the transfer with its digest named, and nothing half-written is left."""
    from stageward.errors import NotFound
    from stageward.store.blobs import open_blob_store

    url = "file://./prod-blobs"
    if kind == "s3":
        url = f"s3://{request.getfixturevalue('s3_bucket')}/prod"
    root = tmp_path / "p"
    write_project(root, project_without_approvals(project_with_production_blobs(url)))
    shards = tmp_path / "shards"
    shards.mkdir()
    for index in range(50):
        (shards / f"shard-{index:02d}.csv").write_bytes(os.urandom(700))
    (shards / "index.bin").write_bytes(os.urandom((8 << 20) + 1))  # past one S3 part: sent alone, in parts
    alice = _client(root, store_url, "alice")
    before = {thread.ident for thread in threading.enumerate()}
    try:
        first = alice.call("dataset.publish", env="staging", name="shards", path=str(shards), metrics={"auc": 0.9})
        promoted = alice.call(
            "promotion.request", env="production", source="staging", name="shards", version=first["version"]
        )
        assert promoted["state"] == "executed"
        assert alice.call("verify.asset", ref="production/shards:1")["ok"] is True

        (shards / "shard-50.csv").write_bytes(os.urandom(700))
        alice.call("dataset.publish", env="staging", name="shards", path=str(shards), metrics={"auc": 0.9})
        lost = {"sha256": hashlib.sha256((shards / "shard-50.csv").read_bytes()).hexdigest()}
        staging = open_blob_store(alice.call("dataset.show", env="staging", ref="shards:2")["blob_store"], base=root)
        staging.path_of(lost["sha256"]).unlink()  # type: ignore[attr-defined]
        with pytest.raises(NotFound, match=lost["sha256"][:12]):
            alice.call("promotion.request", env="production", source="staging", name="shards", version=2)
        production = open_blob_store(url, base=root)
        assert not production.exists(lost["sha256"])
        assert list(production.temporary_objects(older_than_seconds=-1)) == []
        assert not [t for t in threading.enumerate() if t.ident not in before and t.name.startswith("blob-move")]
    finally:
        alice.close()
