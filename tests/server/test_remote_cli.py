"""The CLI as a remote client: STAGEWARD_URL + STAGEWARD_API_KEY make every command go through the server, with
the same output and exit codes as local mode; bytes travel over the blob routes, on a folder store and on S3."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.registry.support import project_with_production_blobs
from tests.server.support import TeamServer, raw_request, team_server

pytestmark = pytest.mark.shared_config_home


def _start(work: Path, project: str | None = None, **extra: str) -> TeamServer:
    store_url = f"sqlite:///{work / 'store' / 'stageward.db'}"
    made = team_server(work / "project", store_url, **({"project": project} if project else {}), **extra)
    made.make_key("dev", "bob", "development")
    made.make_key("prod", "bob", "production")
    made.make_key("alice-dev", "alice", "development")
    return made.start()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TeamServer]:
    made = _start(tmp_path_factory.mktemp("remote"))
    yield made
    made.stop()


@pytest.fixture(scope="module", params=["file", pytest.param("s3", marks=pytest.mark.s3)])
def blob_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TeamServer]:
    """The module's server (blobs in a folder), then one whose blobs live on S3 (moto), production in a bucket
    of its own."""
    if request.param == "file":
        yield request.getfixturevalue("server")
        return
    import uuid

    bucket = request.getfixturevalue("moto_server").bucket(f"sw-{uuid.uuid4().hex[:12]}")
    made = _start(
        tmp_path_factory.mktemp("remote-s3"),
        project_with_production_blobs(f"s3://{bucket}/prod"),
        STAGEWARD_BLOBS=f"s3://{bucket}/shared",
    )
    yield made
    made.stop()


def test_read_commands_print_what_local_mode_prints(server: TeamServer) -> None:
    commands = (
        ["env", "list"],
        ["env", "list", "--json"],
        ["access", "roles"],
        ["config", "show", "--env", "development"],
    )
    for args in commands:
        remote = server.cli("dev", *args)
        local = server.local_cli("dev", *args)
        assert (remote.returncode, remote.stdout, remote.stderr) == (local.returncode, local.stdout, local.stderr), args
        assert remote.returncode == 0


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["config", "show", "--env", "production"], 3, "error: denied: bob lacks config.read in production"),
        (["model", "show", "development/absent@champion"], 4, "absent"),
        (["model", "show", "absent@champion"], 2, "name the environment with --env"),
        (["keys", "create", "--principal", "bob", "--env", "development"], 3, "keys are made by a person"),
    ],
)
def test_errors_leave_with_the_exit_code_of_local_mode(
    server: TeamServer, args: list[str], code: int, message: str
) -> None:
    remote = server.cli("dev", *args)
    local = server.local_cli("dev", *args)
    assert remote.returncode == code, remote.stderr
    assert message in remote.stderr
    assert (remote.returncode, remote.stderr) == (local.returncode, local.stderr)


def test_a_conflict_is_exit_5(server: TeamServer) -> None:
    with server.admin() as alice:
        made = alice.call("keys.create", principal="bob", env="development")
    assert server.cli("dev", "keys", "revoke", made["prefix"]).returncode == 0
    again = server.cli("dev", "keys", "revoke", made["prefix"])
    assert again.returncode == 5 and "already revoked" in again.stderr


def test_without_a_valid_key_the_remote_cli_is_refused(server: TeamServer) -> None:
    missing = server.cli(None, "env", "list")
    garbage = server.cli(None, "env", "list", extra={"STAGEWARD_API_KEY": "garbage"})
    assert missing.returncode == 3 and "STAGEWARD_API_KEY is not" in missing.stderr
    assert garbage.returncode == 3 and "malformed" in garbage.stderr and "garbage" not in garbage.stderr


def test_stageward_user_means_nothing_to_the_server(server: TeamServer) -> None:
    result = server.cli("dev", "model", "list", "--env", "development", "--json", extra={"STAGEWARD_USER": "alice"})
    assert result.returncode == 0
    with server.admin() as alice:
        listed = alice.call("audit.list", env="production")
    # bob's development key read nothing of production, whatever STAGEWARD_USER claimed.
    denied = server.cli("dev", "config", "show", "--env", "production", extra={"STAGEWARD_USER": "alice"})
    assert denied.returncode == 3 and "bob lacks" in denied.stderr
    assert all(entry["principal"] != "alice" or entry["outcome"] != "denied" for entry in listed)


def test_a_dataset_of_more_shards_than_one_status_request_asks_about(server: TeamServer, tmp_path: Path) -> None:
    """1,001 distinct shards (one more than a blob.statuses request takes) and one repeated: every shard sent once,
    several at a time, each landing whole; published again, the two requests find all of them and nothing moves."""
    shards = tmp_path / "shards"
    shards.mkdir()
    for index in range(1001):
        (shards / f"shard-{index:04d}.csv").write_bytes(f"{index}\n".encode() * 40)
    (shards / "again.csv").write_bytes(b"0\n" * 40)  # the content of shard-0000
    expected = sum(len(f"{index}\n".encode() * 40) for index in range(1001))
    publish = ["dataset", "register", "shards", str(shards), "--env", "development", "--json"]
    first = server.cli("dev", *publish)
    assert first.returncode == 0, first.stderr
    record = json.loads(first.stdout)
    assert (record["uploaded_bytes"], record["file_count"]) == (expected, 1002)
    again = server.cli("dev", *publish)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["uploaded_bytes"] == 0
    verified = server.local_cli("dev", "verify", f"development/shards:{record['version']}")
    assert verified.returncode == 0, verified.stderr  # each of the 1,002 files' blob there, hashing to its digest


def test_register_and_download_move_bytes_over_the_blob_routes(blob_server: TeamServer, tmp_path: Path) -> None:
    server = blob_server
    model = tmp_path / "model"
    (model / "sub").mkdir(parents=True)
    (model / "weights.bin").write_bytes(b"w" * 300_000)
    (model / "sub" / "config.json").write_text('{"layers": 3}', encoding="utf-8")
    registered = server.cli("dev", "model", "register", "ranker", str(model), "--env", "development", "--json")
    assert registered.returncode == 0, registered.stderr
    record = json.loads(registered.stdout)
    assert record["uploaded_bytes"] == 300_000 + 13
    again = json.loads(
        server.cli("dev", "model", "register", "ranker", str(model), "--env", "development", "--json").stdout
    )
    assert again["uploaded_bytes"] == 0 and again["version"] == record["version"] + 1

    out = tmp_path / "out"
    fetched = server.cli("dev", "model", "download", f"development/ranker:{record['version']}", str(out))
    assert fetched.returncode == 0, fetched.stderr
    assert (out / "weights.bin").read_bytes() == b"w" * 300_000
    assert (out / "sub" / "config.json").read_text(encoding="utf-8") == '{"layers": 3}'
    # The same version read in local mode names the same files.
    shown = server.local_cli("dev", "model", "show", f"development/ranker:{record['version']}", "--json")
    local = json.loads(shown.stdout)
    assert local["manifest_digest"] == record["manifest_digest"]


def test_blob_routes_hold_digests_ranges_and_walls(blob_server: TeamServer) -> None:
    server = blob_server
    data = bytes(range(256)) * 40
    digest = hashlib.sha256(data).hexdigest()
    with server.http("dev") as dev:
        wrong = dev.put(f"/api/v1/envs/development/blobs/{'0' * 64}", content=data)
        assert wrong.status_code == 422  # bytes that do not hash to the digest are never published
        assert dev.get(f"/api/v1/envs/development/blobs/{'0' * 64}/status").json()["present"] is False
        assert dev.put(f"/api/v1/envs/development/blobs/{digest}", content=data).status_code == 201
        # Uploaded but held by no version: not readable by digest.
        assert dev.get(f"/api/v1/envs/development/blobs/{digest}").status_code == 404
        files = [{"path": "data.bin", "size": len(data), "sha256": digest}]
        assert dev.post("/api/v1/envs/development/datasets", json={"name": "table", "files": files}).status_code == 200
        whole = dev.get(f"/api/v1/envs/development/blobs/{digest}")
        part = dev.get(f"/api/v1/envs/development/blobs/{digest}", headers={"Range": "bytes=10-19"})
        tail = dev.get(f"/api/v1/envs/development/blobs/{digest}", headers={"Range": "bytes=-5"})
        last = dev.get(f"/api/v1/envs/development/blobs/{digest}", headers={"Range": f"bytes={len(data) - 1}-"})
        beyond = dev.get(f"/api/v1/envs/development/blobs/{digest}", headers={"Range": f"bytes={len(data)}-"})
        several = dev.get(f"/api/v1/envs/development/blobs/{digest}", headers={"Range": "bytes=0-1,4-5"})
        # Another environment's reader cannot fetch it by digest, nor may a key write elsewhere.
        other = dev.get(f"/api/v1/envs/production/blobs/{digest}")
        elsewhere = dev.put(f"/api/v1/envs/production/blobs/{digest}", content=data)
        for traversal in ("..%2F..%2Fetc%2Fpasswd", "%2E%2E", "A" * 64, "0" * 63):
            response = dev.get(f"/api/v1/envs/development/blobs/{traversal}")
            assert response.status_code in (400, 404), traversal
            assert b"root:" not in response.content
    assert whole.status_code == 200 and whole.content == data and whole.headers["accept-ranges"] == "bytes"
    assert part.status_code == 206 and part.content == data[10:20]
    assert part.headers["content-range"] == f"bytes 10-19/{len(data)}"
    assert tail.status_code == 206 and tail.content == data[-5:]
    assert last.status_code == 206 and last.content == data[-1:]
    assert beyond.status_code == 416 and beyond.headers["content-range"] == f"bytes */{len(data)}"
    assert several.status_code == 416
    assert other.status_code == 403 and elsewhere.status_code == 403


def test_a_range_near_the_end_of_a_large_blob_is_all_the_store_is_asked_for(
    blob_server: TeamServer, request: pytest.FixtureRequest
) -> None:
    server = blob_server
    data = os.urandom(5 * 1024 * 1024 + 321)  # past one 4 MiB read: skipping to the end would take two
    digest = hashlib.sha256(data).hexdigest()
    size = len(data)
    with server.http("dev") as dev:
        assert dev.put(f"/api/v1/envs/development/blobs/{digest}", content=data).status_code == 201
        files = [{"path": "big.bin", "size": size, "sha256": digest}]
        assert dev.post("/api/v1/envs/development/datasets", json={"name": "big", "files": files}).status_code == 200
        wanted = f"bytes={size - 100}-{size - 1}"
        if "s3" not in server.extra.get("STAGEWARD_BLOBS", ""):
            near_end = dev.get(f"/api/v1/envs/development/blobs/{digest}", headers={"Range": wanted})
            assert near_end.status_code == 206 and near_end.content == data[-100:]
            return
        with request.getfixturevalue("moto_server").recording() as seen:
            near_end = dev.get(f"/api/v1/envs/development/blobs/{digest}", headers={"Range": wanted})
            suffix = dev.get(f"/api/v1/envs/development/blobs/{digest}", headers={"Range": "bytes=-1"})
    assert near_end.status_code == 206 and near_end.content == data[-100:]
    assert near_end.headers["content-range"] == f"bytes {size - 100}-{size - 1}/{size}"
    assert suffix.status_code == 206 and suffix.content == data[-1:]
    # What reached S3: one ranged GET of the blob per request, for those bytes alone.
    gets = [r for r in seen if r["method"] == "GET" and digest[2:] in r["url"]]
    assert [r["headers"].get("Range") for r in gets] == [wanted, f"bytes={size - 1}-{size - 1}"]


def test_a_blob_declared_over_the_limit_is_refused_before_its_bytes(server: TeamServer) -> None:
    key = server.keys["dev"]["key"].encode()
    head = (
        b"PUT /api/v1/envs/development/blobs/" + b"1" * 64 + b" HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + key
        + b"\r\nContent-Length: " + str(256 * 1024**3 + 1).encode() + b"\r\n\r\n"
    )
    answer = raw_request(server, head, [], pause=0)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"over the limit of 274877906944 bytes" in answer


def test_the_sdk_reaches_every_verb_through_the_server(server: TeamServer, tmp_path: Path) -> None:
    from stageward.client import Client, HttpTransport
    from stageward.registry.progress import Progress

    class Counted:
        def __init__(self) -> None:
            self.advanced = 0

        def start(self, label: str, total: int) -> None:
            return None

        def advance(self, size: int) -> None:
            self.advanced += size

        def finish(self) -> None:
            return None

    (tmp_path / "model.bin").write_bytes(b"m" * 1000)
    progress = Counted()
    reporter: Progress = progress
    with Client(HttpTransport(server.url, server.keys["alice-dev"]["key"])) as alice:
        model = str(tmp_path / "model.bin")
        first = alice.model.publish(env="development", name="scorer", path=model, progress=reporter)
        (tmp_path / "model.bin").write_bytes(b"n" * 1000)
        second = alice.model.publish(env="development", name="scorer", path=model)
        alice.model.alias_set(env="development", name="scorer", version=first.version, alias="champion")
        alice.model.alias_set(env="development", name="scorer", version=second.version, alias="champion")
        assert alice.model.show(ref="development/scorer@champion").version == second.version
    assert progress.advanced == 2000  # hashed, then sent
    # registry.rollback is a flow over model.rollback, reached through its own route.
    rolled = server.cli("alice-dev", "rollback", "scorer", "--env", "development", "--alias", "champion", "--json")
    assert rolled.returncode == 0, rolled.stderr
    assert json.loads(rolled.stdout)["version"] == first.version


def test_a_route_the_server_lacks_by_method_says_the_server_is_older(server: TeamServer) -> None:
    """What a client meets at a server older than itself: a route whose path the server knows for another method
    (a POST to the blob route, as `blob.statuses` is to a server without it) is named, with the mend."""
    from stageward.client import HttpTransport, _result
    from stageward.errors import BadInput

    transport = HttpTransport(server.url, server.keys["dev"]["key"])
    try:
        answered = transport._send("POST", f"/api/v1/envs/development/blobs/{'a' * 64}", json={})
        assert answered.status_code == 405
        with pytest.raises(BadInput) as older:
            _result(answered)
    finally:
        transport.close()
    assert str(older.value).startswith(f"the server has no POST /api/v1/envs/development/blobs/{'a' * 64}: it runs an")
    assert older.value.hint == "upgrade the server before its clients (docs/server.md)"
