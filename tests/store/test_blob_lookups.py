"""Asking a blob store about a whole manifest at once (`existing`, `kept`): the answer is exactly the blobs held,
on a folder and on S3; a bad digest is refused before any request; a store failure is one line naming the store."""

from __future__ import annotations

import hashlib
import os
import threading
import time

import pytest

from stageward.errors import BadInput, CheckFailed, NotFound, StoreError
from stageward.store.blobs import open_blob_store
from stageward.store.blobs.base import BlobStore, copy_blob


def _publish(store: BlobStore, data: bytes) -> str:
    digest = hashlib.sha256(data).hexdigest()
    writer = store.open_write(digest)
    writer.write(data)
    writer.commit()
    return digest


def _absent(index: int) -> str:
    return hashlib.sha256(f"never stored {index}".encode()).hexdigest()


@pytest.fixture(params=["file", pytest.param("s3", marks=pytest.mark.s3)])
def blob_store(request: pytest.FixtureRequest, tmp_path) -> BlobStore:
    if request.param == "file":
        return open_blob_store(f"file://{tmp_path / 'blobs'}")
    bucket = request.getfixturevalue("s3_bucket")
    return open_blob_store(f"s3://{bucket}/lookups")


def test_existing_answers_exactly_the_blobs_held(blob_store):
    held = [_publish(blob_store, f"blob {index}".encode()) for index in range(40)]
    absent = [_absent(index) for index in range(25)]
    asked = [*held, *absent, held[0], absent[0]]  # a manifest may list one content twice
    assert blob_store.existing(asked) == set(held)
    assert blob_store.existing(held[:1]) == {held[0]}
    assert blob_store.existing(absent[:1]) == set()
    assert blob_store.existing([]) == set()


def test_kept_restarts_the_grace_of_each_blob_held_and_creates_none(blob_store):
    held = [_publish(blob_store, f"kept {index}".encode()) for index in range(20)]
    before = {blob.sha256: blob.modified for blob in blob_store.published_blobs()}
    time.sleep(1.1)  # S3's LastModified has whole seconds
    absent = [_absent(index) for index in range(5)]
    assert blob_store.kept([*absent, *held[:15]]) == set(held[:15])
    after = {blob.sha256: blob.modified for blob in blob_store.published_blobs()}
    assert set(after) == set(held)
    assert all(after[digest] > before[digest] for digest in held[:15])
    assert all(after[digest] == before[digest] for digest in held[15:])


@pytest.mark.s3
def test_keeping_a_blob_on_s3_is_one_request_whether_or_not_it_is_there(s3_bucket, moto_server):
    """S3 bills by the request, and an upload of a dataset already stored keeps every one of its blobs."""
    store = open_blob_store(f"s3://{s3_bucket}/kept")
    held = [_publish(store, f"held {index}".encode()) for index in range(3)]
    absent = [_absent(index) for index in range(2)]
    with moto_server.recording() as seen:
        assert store.kept([*held, *absent]) == set(held)
    asked = [r for r in seen if "/kept/sha256/" in r["url"]]
    assert sorted(r["method"] for r in asked) == ["PUT"] * 5  # a copy onto itself each, no HEAD first


def test_a_bad_digest_is_refused_before_any_lookup(blob_store, request):
    held = _publish(blob_store, b"one")
    bad = "../" + held[3:]
    if blob_store.url.startswith("s3://"):
        server = request.getfixturevalue("moto_server")
        with server.recording() as seen, pytest.raises(BadInput, match="is not a sha256 digest"):
            blob_store.existing([held, _absent(1), bad])
        assert seen == []
    else:
        with pytest.raises(BadInput, match="is not a sha256 digest"):
            blob_store.existing([held, _absent(1), bad])
    with pytest.raises(BadInput, match="is not a sha256 digest"):
        blob_store.kept([held, bad])


@pytest.mark.s3
def test_a_lookup_refused_by_s3_is_one_line_naming_the_store_and_leaves_no_lookup_running(s3_bucket):
    from botocore.awsrequest import AWSResponse

    store = open_blob_store(f"s3://{s3_bucket}/locked")
    digests = [_publish(store, f"locked {index}".encode()) for index in range(50)]
    forbidden = store.key_of(digests[7])

    class _NoBody:
        def stream(self, **_: object) -> list[bytes]:
            return []

    def refuse(request, **_: object):  # type: ignore[no-untyped-def]
        # As a bucket policy denying this one key answers: moto enforces no policies, so the answer is made here.
        if request.url.endswith(forbidden):
            return AWSResponse(request.url, 403, {}, _NoBody())
        return None

    store.client.meta.events.register("before-send.s3.HeadObject", refuse)
    before = {thread.ident for thread in threading.enumerate()}
    with pytest.raises(StoreError) as failed:
        store.existing(digests)
    assert str(failed.value) == f"blob store s3://{s3_bucket}/locked: S3 answered 403"
    assert not [t for t in threading.enumerate() if t.ident not in before and t.name.startswith("s3-lookup")]
    assert store.existing(digests[8:]) == set(digests[8:])


def _shards_on_s3(tmp_path, bucket: str, *, count: int, size: int):  # type: ignore[no-untyped-def]
    """A project whose production stores its blobs in BUCKET, a folder of COUNT random shards of SIZE bytes, and
    alice's client: (production's store URL, the folder, the client)."""
    from stageward.client import Client, LocalTransport
    from stageward.testing import write_project
    from tests.registry.support import project_with_production_blobs

    root = tmp_path / "project"
    url = f"s3://{bucket}/prod"
    write_project(root, project_with_production_blobs(url))
    data = tmp_path / "shards"
    data.mkdir()
    for index in range(count):
        (data / f"shard-{index:02d}.csv").write_bytes(os.urandom(size))
    return url, data, Client(LocalTransport(root, principal="alice", environ={}))


@pytest.mark.s3
def test_a_register_of_many_files_names_the_one_blob_missing_from_s3(tmp_path, s3_bucket):
    url, data, client = _shards_on_s3(tmp_path, s3_bucket, count=60, size=64)
    uploaded = client.call("dataset.upload", env="production", path=str(data))
    files = uploaded["files"]
    assert len(files) == 60
    lost = files[37]
    store = open_blob_store(url)
    store.client.delete_object(Bucket=s3_bucket, Key=store.key_of(lost["sha256"]))
    with pytest.raises(NotFound, match=f"^{lost['path']}: blob sha256:{lost['sha256'][:12]} is not in {url}$"):
        client.call("dataset.register", env="production", name="shards", files=files)
    copy_blob(store, lost["sha256"], lambda _: None, path=data / lost["path"])
    registered = client.call("dataset.register", env="production", name="shards", files=files)
    assert (registered["version"], registered["file_count"], registered["blob_store"]) == (1, 60, url)

    # Downloaded several at once, each file whole; a blob whose bytes changed in the bucket fails the download,
    # naming its file, and leaves no folder behind.
    out = tmp_path / "out"
    client.call("dataset.download", env="production", ref="shards:1", dest=str(out))
    assert {path.name: path.read_bytes() for path in out.iterdir()} == {
        path.name: path.read_bytes() for path in data.iterdir()
    }
    tampered = files[12]
    store.client.put_object(Bucket=s3_bucket, Key=store.key_of(tampered["sha256"]), Body=b"not the shard")
    refused = tmp_path / "refused"
    with pytest.raises(CheckFailed, match=f"^production/shards:1 {tampered['path']}: the stored blob has sha256:"):
        client.call("dataset.download", env="production", ref="shards:1", dest=str(refused))
    assert not refused.exists() and [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


@pytest.mark.s3
def test_a_shard_changed_during_a_parallel_upload_publishes_nothing_of_its_own(tmp_path, s3_bucket):
    url, data, client = _shards_on_s3(tmp_path, s3_bucket, count=40, size=512)
    changed = data / "shard-17.csv"
    hashed = hashlib.sha256(changed.read_bytes()).hexdigest()

    class ChangesOneShardWhileHashing:
        def start(self, label: str, total: int) -> None:
            self.label = label

        def advance(self, size: int) -> None:
            pass

        def finish(self) -> None:
            if self.label.startswith("hashing"):
                changed.write_bytes(b"other bytes")  # the upload pass reads these, not those hashed

    before = {thread.ident for thread in threading.enumerate()}
    with pytest.raises(CheckFailed, match=f"^{changed} changed while it was being registered; nothing was published$"):
        client.call("dataset.upload", env="production", path=str(data), progress=ChangesOneShardWhileHashing())
    store = open_blob_store(url)
    assert not store.exists(hashed)
    assert list(store.temporary_objects(older_than_seconds=-1)) == []
    assert not [t for t in threading.enumerate() if t.ident not in before and t.name.startswith("blob-move")]
