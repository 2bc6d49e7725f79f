"""A digest is no capability on a team server: where two projects share an environment's blob store (one
bucket), ml's caller cannot point a version, nor learn that a blob exists, by naming the digest of lp's model;
sending the bytes (content-addressed dedup, legitimately) is what makes it usable."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from stageward.client import Client, HttpTransport, LocalTransport
from stageward.errors import NotFound
from stageward.testing import make_context
from tests.policy.conftest import World, register
from tests.server.support import TeamServer

WEIGHTS = b"lp's secret weights"


@pytest.fixture
def server(world: World) -> Iterator[tuple[TeamServer, str]]:
    """lp's model in a blob store lp and ml share; a server of ml-churn on it; mallory's key for staging."""
    shared = {
        "STAGEWARD_MASTER_KEY_FILE": str(world.key_file),
        "HOME": str(world.tmp / "home"),
        "STAGEWARD_BLOBS": f"file://{world.tmp / 'shared-blobs'}",
    }
    model = world.tmp / "lp-model.bin"
    model.write_bytes(WEIGHTS)
    bob = make_context(world.lp, principal="bob", store_url=world.store_url, clock=world.clock, environ=shared)
    world.contexts.append(bob)
    register(Client(LocalTransport(context=bob)), "staging", "ranker", model, 0.9)
    made = TeamServer(root=world.ml, store_url=world.store_url, extra=shared)
    made.make_key("mallory", "mallory", "staging")
    made.start()
    yield made, hashlib.sha256(WEIGHTS).hexdigest()
    made.stop()


def test_naming_another_projects_digest_points_at_nothing(server: tuple[TeamServer, str]) -> None:
    made, digest = server
    missing = "f" * 64
    with Client(HttpTransport(made.url, made.keys["mallory"]["key"])) as mallory:
        status = mallory.call("blob.status", env="staging", sha256=digest)
        assert status["present"] is False  # as for a blob that is not there: no oracle
        assert mallory.call("blob.status", env="staging", sha256=missing)["present"] is False
        with pytest.raises(NotFound) as refused:
            mallory.call(
                "model.register", env="staging", name="stolen", files=[{"path": "w.bin", "size": 19, "sha256": digest}]
            )
        with pytest.raises(NotFound) as absent:
            mallory.call(
                "model.register", env="staging", name="stolen", files=[{"path": "w.bin", "size": 19, "sha256": missing}]
            )
    assert refused.value.message == absent.value.message.replace(missing[:12], digest[:12])
    with made.http("mallory") as http:
        assert http.get(f"/api/v1/envs/staging/blobs/{digest}").status_code == 404


def test_sending_the_bytes_makes_the_same_blob_usable(server: tuple[TeamServer, str], tmp_path: Path) -> None:
    made, digest = server
    mine = tmp_path / "model"
    mine.mkdir()
    (mine / "w.bin").write_bytes(WEIGHTS)  # ml has the same bytes: the same blob, sent, then registered
    published = made.cli("mallory", "model", "register", "ranker", str(mine), "--env", "staging", "--json")
    assert published.returncode == 0, published.stderr
    with made.http("mallory") as http:
        fetched = http.get(f"/api/v1/envs/staging/blobs/{digest}")
    assert fetched.status_code == 200 and fetched.content == WEIGHTS


def test_asking_about_a_whole_manifest_learns_no_more_than_asking_each(
    server: tuple[TeamServer, str], tmp_path: Path
) -> None:
    made, digest = server
    missing = "e" * 64
    mine = tmp_path / "own"
    mine.mkdir()
    (mine / "own.bin").write_bytes(b"ml's own weights")
    own = hashlib.sha256(b"ml's own weights").hexdigest()
    with Client(HttpTransport(made.url, made.keys["mallory"]["key"])) as mallory:
        mallory.call("model.upload", env="staging", path=str(mine))  # her caller sent these bytes: usable
        asked = mallory.call("blob.statuses", env="staging", sha256s=[digest, missing, own, digest])
        assert asked["present"] == [own]  # lp's blob counts as absent, exactly as one nobody holds
        assert [mallory.call("blob.status", env="staging", sha256=d)["present"] for d in (digest, missing, own)] == [
            False,
            False,
            True,
        ]
    with made.http("mallory") as http:
        at_bound = http.post("/api/v1/envs/staging/blobs/status", json={"sha256s": [missing] * 1000})
        assert at_bound.status_code == 200 and at_bound.json()["present"] == []
        over = http.post("/api/v1/envs/staging/blobs/status", json={"sha256s": [missing] * 1001})
        assert over.status_code == 400
        assert over.json()["error"]["message"] == "sha256s: at most 1000 digests a request, got 1001"
        bad = http.post("/api/v1/envs/staging/blobs/status", json={"sha256s": [own, "../" + own[3:]]})
        assert bad.status_code == 400 and "is not a sha256 digest" in bad.json()["error"]["message"]
