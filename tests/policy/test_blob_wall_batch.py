"""The blob wall asked for a whole manifest at once (blob_repo.out_of_reach, CHUNK digests a statement): at each
chunk boundary it finds exactly the blobs only another project holds, as the one-digest rule does, on SQLite and
PostgreSQL; and a register through a server refuses a manifest of more than one chunk by the file naming one."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from sqlalchemy import Connection, event

from stageward.client import Client, HttpTransport, LocalTransport
from stageward.errors import NotFound
from stageward.service.context import Context
from stageward.store.db import blob_repo
from stageward.testing import make_context
from tests.policy.conftest import World, register
from tests.server.support import TeamServer

CHUNK = blob_repo.CHUNK
LP, ML = "lp-crosssell", "ml-churn"
# The lowest bound on a statement's parameters SQLite ever had (SQLITE_MAX_VARIABLE_NUMBER before 3.32).
SQLITE_LOWEST_BOUND = 999


def fresh(index: int) -> str:
    """The digest of a blob nobody holds."""
    return hashlib.sha256(f"nobody's shard {index}".encode()).hexdigest()


@dataclass
class Shared:
    """lp's blobs in the store lp and ml share for staging: one its model holds, one a log of its run holds."""

    environ: dict[str, str]
    in_version: str
    in_log: str
    mallory: Context


@pytest.fixture
def shared(world: World) -> Shared:
    environ = {
        "STAGEWARD_MASTER_KEY_FILE": str(world.key_file),
        "HOME": str(world.tmp / "home"),
        "STAGEWARD_BLOBS": f"file://{world.tmp / 'shared-blobs'}",
    }
    contexts = {
        who: make_context(root, principal=who, store_url=world.store_url, clock=world.clock, environ=environ)
        for who, root in (("bob", world.lp), ("mallory", world.ml))
    }
    world.contexts.extend(contexts.values())
    model = world.tmp / "lp-model.bin"
    model.write_bytes(b"lp's weights")
    bob = Client(LocalTransport(context=contexts["bob"]))
    register(bob, "staging", "ranker", model, 0.9)
    writer = contexts["bob"].blob_store("staging").open_write()
    writer.write(b"lp's epoch 1 loss 0.3\n")
    in_log = writer.commit().sha256
    run = bob.call(
        "runs.begin", env="staging", command=["train"], commit="a" * 40, ref="refs/heads/develop", dirty=False
    )
    bob.call("runs.beat", run_id=run["run"]["id"], log_blob=in_log)
    return Shared(environ, hashlib.sha256(model.read_bytes()).hexdigest(), in_log, contexts["mallory"])


@contextmanager
def reading(ctx: Context) -> Iterator[Connection]:
    """A transaction on CTX's store; on SQLite with the lowest bound on parameters SQLite ever had, so a chunk
    that overflowed it would fail here."""
    with ctx.database.transaction(write=False) as conn:
        raw = conn.connection.driver_connection
        if isinstance(raw, sqlite3.Connection):
            kept = raw.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, SQLITE_LOWEST_BOUND)
            try:
                yield conn
            finally:
                raw.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, kept)
        else:
            yield conn


def manifest(size: int, placed: dict[int, str]) -> list[str]:
    digests = [fresh(index) for index in range(size)]
    for position, digest in placed.items():
        digests[position] = digest
    return digests


def test_a_foreign_blob_is_found_on_either_side_of_a_chunk_boundary(shared: Shared) -> None:
    # Three chunks, the last of three digests (asked padded to four by repeating its last one).
    for version_at, log_at in ((CHUNK - 1, CHUNK), (CHUNK, CHUNK - 1), (0, 2 * CHUNK + 2)):
        digests = manifest(2 * CHUNK + 3, {version_at: shared.in_version, log_at: shared.in_log})
        with reading(shared.mallory) as conn:
            assert blob_repo.out_of_reach(conn, ML, "staging", digests) == {shared.in_version, shared.in_log}
            assert blob_repo.held_by_other_projects(conn, ML, "staging", digests) == {
                shared.in_version,
                shared.in_log,
            }
            # lp's own blobs are within its reach; the same digests are another environment's business.
            assert blob_repo.out_of_reach(conn, LP, "staging", digests) == set()
            assert blob_repo.out_of_reach(conn, ML, "production", digests) == set()


def test_a_claim_or_a_version_of_its_own_brings_a_blob_within_reach_in_any_chunk(shared: Shared) -> None:
    digests = manifest(2 * CHUNK, {CHUNK - 1: shared.in_version, CHUNK: shared.in_log})
    mallory = Client(LocalTransport(context=shared.mallory))
    mallory.call("blob.claim", env="staging", sha256=shared.in_version)  # as the upload route does
    with reading(shared.mallory) as conn:
        assert blob_repo.out_of_reach(conn, ML, "staging", digests) == {shared.in_log}
    # ml's own version holding the log's blob (local mode trusts the machine: no wall there).
    logs = [{"path": "epoch-1.log", "size": 22, "sha256": shared.in_log}]
    mallory.call("dataset.register", env="staging", name="logs", files=logs)
    with reading(shared.mallory) as conn:
        assert blob_repo.out_of_reach(conn, ML, "staging", digests) == set()
        # The one-digest questions give the batch's answers.
        assert blob_repo.may_reference(conn, ML, "staging", shared.in_log)
        assert blob_repo.held_by_another_project(conn, ML, "staging", shared.in_log)
        assert not blob_repo.held_by_another_project(conn, ML, "staging", fresh(0))
        assert blob_repo.may_reference(conn, ML, "staging", fresh(0))


def statements(ctx: Context, digests: list[str]) -> int:
    """How many statements asking of ML's reach over DIGESTS takes (the transaction's own, BEGIN, aside)."""
    seen: list[str] = []

    def count(*args: object) -> None:
        if "VALUES" in str(args[2]):
            seen.append(str(args[2]))

    engine = ctx.database.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        with reading(ctx) as conn:
            assert blob_repo.out_of_reach(conn, ML, "staging", digests) == set()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def test_a_chunk_is_exactly_chunk_digests(shared: Shared) -> None:
    assert statements(shared.mallory, [fresh(i) for i in range(CHUNK)]) == 1
    assert statements(shared.mallory, [fresh(i) for i in range(CHUNK + 1)]) == 2
    # A digest listed many times (the same file in many folders) is asked once.
    assert statements(shared.mallory, [fresh(i % CHUNK) for i in range(3 * CHUNK)]) == 1


@pytest.fixture
def server(shared: Shared, world: World) -> Iterator[TeamServer]:
    """A server of ml-churn on the shared store; mallory's key for staging."""
    made = TeamServer(root=world.ml, store_url=world.store_url, extra=shared.environ)
    made.make_key("mallory", "mallory", "staging")
    made.start()
    yield made
    made.stop()


def test_register_through_a_server_names_the_one_foreign_file_of_a_manifest_of_two_chunks(
    shared: Shared, server: TeamServer
) -> None:
    store = shared.mallory.blob_store("staging")
    files = []
    for index in range(CHUNK + 1):  # blobs nobody holds yet, written straight into the shared store
        writer = store.open_write()
        writer.write(f"ml's shard {index}\n".encode())
        blob = writer.commit()
        files.append({"path": f"shard-{index:05d}.txt", "size": blob.size, "sha256": blob.sha256})
    with Client(HttpTransport(server.url, server.keys["mallory"]["key"])) as mallory:
        for position in (CHUNK - 1, CHUNK):  # the last of the first chunk, the first of the second
            foreign = [dict(f, sha256=shared.in_version) if i == position else f for i, f in enumerate(files)]
            with pytest.raises(NotFound) as refused:
                mallory.call("dataset.register", env="staging", name="shards", files=foreign)
            assert refused.value.message == (
                f"shard-{position:05d}.txt: blob sha256:{shared.in_version[:12]} is not in {store.url}"
            )
            assert mallory.call("dataset.list", env="staging") == []  # nothing half-written
        registered = mallory.call("dataset.register", env="staging", name="shards", files=files)
    assert registered["version"] == 1 and registered["file_count"] == CHUNK + 1
