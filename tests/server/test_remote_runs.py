"""`stageward run` against a team server: the command executes on the launcher's machine (a clone of the project,
as a CI runner has), the server decides every guardrail and records the run, its heartbeats, its masked log and
its end. On SQLite and on PostgreSQL, against a real server process."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.runs.support import DIGEST, SECRET, git, make_project
from tests.server.support import STAGEWARD, TeamServer, base_environ

pytestmark = pytest.mark.shared_config_home

PRINT_CONFIG = "import os; print(open(os.environ['STAGEWARD_CONFIG']).read(), flush=True)"


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TeamServer]:
    """The runs project served from ROOT (its advisories say requests<2.31.0 is HIGH); bob develops in the
    sandbox and deploys in production, carol views the sandbox; DB_PASSWORD is set in both."""
    work = tmp_path_factory.mktemp("remote-runs")
    if request.param == "sqlite":
        store_url = f"sqlite:///{work / 'store' / 'stageward.db'}"
    else:
        store_url = str(request.getfixturevalue("postgres").create_database())
    root = make_project(work / "project")
    made = TeamServer(root=root, store_url=store_url)
    with made.admin() as alice:
        alice.call("access.grant", principal="bob", role="developer", env="sandbox")
        alice.call("access.grant", principal="bob", role="deployer", env="production")
        alice.call("access.grant", principal="carol", role="viewer", env="sandbox")
        for env in ("sandbox", "production"):
            alice.call("secrets.set", name="DB_PASSWORD", env=env, value=SECRET)
    made.make_key("sandbox", "bob", "sandbox")
    made.make_key("production", "bob", "production")
    made.make_key("carol", "carol", "sandbox")
    made.start()
    yield made
    made.stop()


@pytest.fixture
def checkout(server: TeamServer, tmp_path: Path) -> Path:
    """A CI runner's clone of the project, on main, clean; no store, no advisories of the server's."""
    target = tmp_path / "checkout"
    subprocess.run(["git", "clone", "-q", str(server.root), str(target)], check=True, capture_output=True)
    return target


def launcher(
    server: TeamServer, key: str, folder: Path, *args: str, text: bool = True, **extra: str
) -> subprocess.CompletedProcess[str]:
    env = base_environ({"STAGEWARD_URL": server.url, "STAGEWARD_API_KEY": str(server.keys[key]["key"]), **extra})
    return subprocess.run(  # type: ignore[call-overload, no-any-return]
        [STAGEWARD, *args], cwd=folder, env=env, capture_output=True, text=text, timeout=120
    )


def _begin(server: TeamServer, key: str, env: str, **arguments: object) -> httpx.Response:
    with server.http(key) as http:
        return http.post(f"/api/v1/envs/{env}/runs", json={"command": ["true"], **arguments})


def _finish(server: TeamServer, key: str, run_id: str) -> None:
    with server.http(key) as http:
        answer = http.post(f"/api/v1/runs/{run_id}/finish", json={"status": "succeeded", "exit_code": 0})
    assert answer.status_code == 200, answer.text


def test_a_remote_run_executes_here_and_another_client_reads_it_back(server: TeamServer, checkout: Path) -> None:
    # 5 MiB of binary output after the config: more chunks than a page of `runs logs` holds.
    script = f"{PRINT_CONFIG}; import sys; sys.stdout.buffer.write(bytes(range(256)) * 20480)"
    done = launcher(server, "sandbox", checkout, "run", "--env", "sandbox", "--tag", "k=v", "--", sys.executable,
                    "-c", script, text=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    shown = done.stdout
    assert SECRET.encode() not in shown and b'"password": "***"' in shown
    assert shown.endswith(bytes(range(256)) * 20480)
    summary = done.stderr.decode().strip().splitlines()[-1]
    assert summary.startswith("run ") and " succeeded in sandbox (exit 0, " in summary
    run_id = summary.split()[1]

    # carol, a viewer with her own key, from a folder with no project, reads what the server recorded.
    listed = json.loads(server.cli("carol", "runs", "list", "--env", "sandbox", "--json").stdout)
    record = next(r for r in listed if r["id"] == run_id)
    assert (record["principal"], record["status"], record["exit_code"]) == ("bob", "succeeded", 0)
    assert (record["commit"], record["ref"], record["dirty"]) == (git(checkout, "rev-parse", "HEAD"), "refs/heads/main",
                                                                  False)  # fmt: skip
    assert record["tags"]["k"] == "v" and record["tags"]["cost_center"] == "CC-1"
    assert record["log_bytes"] == len(shown) and record["cpu_seconds"] > 0
    detail = json.loads(server.cli("carol", "runs", "show", run_id, "--json").stdout)
    assert detail["run"]["command"][0] == sys.executable
    with server.http("carol") as http:
        first = http.get(f"/api/v1/runs/{run_id}/logs").json()
        assert first["more"] is True  # paged: the log is longer than one page
        assert http.get(f"/api/v1/runs/{run_id}/logs", params={"after": -1}).status_code == 400  # leave it out
        pages, after = [], None
        while True:
            page = http.get(f"/api/v1/runs/{run_id}/logs", params={} if after is None else {"after": after}).json()
            pages.append(page)
            after = page["next_after"]
            if not page["more"]:
                break
    assert b"".join(base64.b64decode(p["data"]) for p in pages) == shown
    assert len(pages) >= 2
    # The CLI pages through them too, and the binary bytes survive.
    binary = subprocess.run(
        [STAGEWARD, "runs", "logs", run_id],
        cwd=checkout,
        env=base_environ({"STAGEWARD_URL": server.url, "STAGEWARD_API_KEY": str(server.keys["carol"]["key"])}),
        capture_output=True,
        timeout=60,
    )
    assert binary.returncode == 0 and binary.stdout == shown
    with server.admin() as alice:
        entries = alice.call("audit.list", action="runs.begin")
    begun = next(e for e in entries if e["target"] == run_id)
    assert begun["principal"] == "bob" and begun["details"]["reported_by"] == server.keys["sandbox"]["prefix"]


def test_a_development_key_never_begins_a_production_run(server: TeamServer, checkout: Path) -> None:
    done = launcher(server, "sandbox", checkout, "run", "--env", "production", "--", "true")
    assert done.returncode == 3, done.stderr
    assert done.stderr.splitlines()[0] == "error: denied: bob lacks runs.launch in production"
    assert "this API key acts in sandbox only" in done.stderr
    answer = _begin(server, "sandbox", "production")
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "denied" and "quota" not in answer.text  # nothing of production's state
    with server.admin() as alice:
        denied = [e for e in alice.call("audit.list", action="runs.begin") if e["outcome"] == "denied"]
        runs = alice.call("runs.list", env="production")
    assert denied[-1]["environment"] == "production"
    assert denied[-1]["details"]["api_key"] == server.keys["sandbox"]["prefix"]
    assert runs == []


def test_every_failing_guardrail_is_listed_and_the_server_scans_with_its_own_advisories(
    server: TeamServer, checkout: Path
) -> None:
    # The checkout pins a vulnerable requests and ships no advisories: the server's own advisories find it.
    (checkout / "requirements.lock").write_text("requests==2.30.0\n")
    git(checkout, "rm", "-rq", "advisories")
    done = launcher(server, "production", checkout, "run", "--env", "production", "--image",
                    "ghcr.io/acme/train:latest", "--writes", "features", "--", "true")  # fmt: skip
    assert done.returncode == 3, done.stderr
    assert done.stderr.splitlines() == [
        "error: run refused in production: 4 guardrails failed",
        "  - clean_tree: a clean tree is required: the working tree has uncommitted changes",
        "  - image: image ghcr.io/acme/train:latest is not pinned by digest (@sha256:...)",
        "  - writes: writes features: the data store is read-only in production",
        "  - scan: requests 2.30.0: GHSA-old (HIGH, fixed in 2.31.0)",
    ]
    # Committed, pinned and clean, it passes: the same server, the same checkout.
    git(checkout, "commit", "-qam", "older requests")
    (checkout / "requirements.lock").write_text("requests==2.31.0\n")
    git(checkout, "commit", "-qam", "fixed requests")
    done = launcher(server, "production", checkout, "run", "--env", "production", "--image",
                    f"ghcr.io/acme/train@{DIGEST}", "--", sys.executable, "-c", PRINT_CONFIG)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert '"password": "***"' in done.stdout and SECRET not in done.stdout


def test_two_begins_racing_for_the_last_slot_start_exactly_one(server: TeamServer) -> None:
    # The sandbox allows one run at a time.
    barrier = threading.Barrier(2)
    answers: list[httpx.Response] = []

    def begin() -> None:
        with server.http("sandbox") as http:
            barrier.wait()
            answers.append(http.post("/api/v1/envs/sandbox/runs", json={"command": ["true"]}))

    threads = [threading.Thread(target=begin) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(a.status_code for a in answers) == [200, 403]
    refused = next(a for a in answers if a.status_code == 403).json()["error"]["message"]
    assert refused == "run refused in sandbox: 1 guardrail failed\n  - quota: 1 of 1 concurrent runs already running"
    _finish(server, "sandbox", next(a for a in answers if a.status_code == 200).json()["run"]["id"])


def test_a_secret_reaches_only_the_launcher_and_no_log_line(server: TeamServer) -> None:
    begun = _begin(server, "sandbox", "sandbox")
    assert begun.status_code == 200
    body = begun.json()
    # The config delivery to bob, who may launch in the sandbox: the one body that carries the value.
    assert json.loads(body["config"])["db"]["password"] == SECRET and body["secret_values"] == [SECRET]
    assert SECRET not in json.dumps(body["run"]) and SECRET not in json.dumps(body["variables"])
    run_id = body["run"]["id"]
    with server.http("sandbox") as http:
        beat = http.post(f"/api/v1/runs/{run_id}/beat", json={})
        assert beat.status_code == 200 and beat.json()["log_chunks"] == 0
    _finish(server, "sandbox", run_id)
    with server.http("carol") as http:
        viewer = http.post("/api/v1/envs/sandbox/runs", json={"command": ["true"]})
        reads = [http.get(f"/api/v1/runs/{run_id}"), http.get("/api/v1/runs"), http.get(f"/api/v1/runs/{run_id}/logs")]
    assert viewer.status_code == 403 and SECRET not in viewer.text
    assert "permission: carol lacks runs.launch in sandbox" in viewer.json()["error"]["message"]
    for answer in reads:
        assert answer.status_code == 200 and SECRET not in answer.text
    with server.admin() as alice:
        entries = json.dumps(alice.call("audit.export"))
    assert SECRET not in entries
    assert SECRET not in server.log


def test_only_the_launcher_writes_a_runs_progress_and_its_log_is_the_stores_bytes(server: TeamServer) -> None:
    body = _begin(server, "sandbox", "sandbox").json()
    run_id = body["run"]["id"]
    try:
        with server.http("carol") as carol:
            assert carol.post(f"/api/v1/runs/{run_id}/beat", json={}).status_code == 403
            assert carol.post(f"/api/v1/runs/{run_id}/finish", json={"status": "failed"}).status_code == 403
        with server.http("sandbox") as http:
            missing = http.post(f"/api/v1/runs/{run_id}/beat", json={"log_blob": "ab" * 32})
            assert missing.status_code == 404, missing.text
            bad = http.post(f"/api/v1/runs/{run_id}/beat", json={"log_blob": "../../etc/passwd"})
            assert bad.status_code == 400, bad.text
    finally:
        _finish(server, "sandbox", run_id)
    with server.http("sandbox") as http:
        ended = http.post(f"/api/v1/runs/{run_id}/beat", json={})
    assert ended.status_code == 409 and "already ended succeeded" in ended.json()["error"]["message"]


@pytest.mark.parametrize(
    ("arguments", "status", "message"),
    [
        ({"heartbeat_seconds": 0.05}, 200, None),
        ({"heartbeat_seconds": 0.049}, 400, "heartbeat_seconds: expected between 0.05 and 3600 seconds"),
        ({"heartbeat_seconds": 3600}, 200, None),
        ({"heartbeat_seconds": 3600.001}, 400, "heartbeat_seconds: expected between 0.05 and 3600 seconds"),
        ({"commit": "not-a-commit"}, 400, "commit: expected a git commit id"),
        ({"ref": "refs/heads/main\nrefs/heads/x"}, 400, "ref: expected a git ref name"),
        ({"ref": "main"}, 400, "ref: expected a git ref name"),
        ({"workdir": "/"}, 400, "unexpected argument(s) workdir"),
    ],
)
def test_begin_refuses_reported_facts_that_are_not_facts(
    server: TeamServer, arguments: dict[str, object], status: int, message: str | None
) -> None:
    answer = _begin(server, "sandbox", "sandbox", **arguments)
    assert answer.status_code == status, answer.text
    if status == 200:
        _finish(server, "sandbox", answer.json()["run"]["id"])
    else:
        assert message in answer.json()["error"]["message"]


def test_a_servers_context_never_executes_a_command(server: TeamServer, tmp_path: Path) -> None:
    # What a retrain approved over REST would reach: runs.launch in the server's own context. The command would
    # create a file; it must never run.
    from stageward.client import Client, LocalTransport
    from stageward.errors import Denied
    from stageward.testing import make_context

    marker = tmp_path / "executed"
    ctx = make_context(server.root, principal="alice", store_url=server.store_url, environ=server.environ())
    ctx.process_environment = False  # as server/state.py makes every request's context
    with Client(LocalTransport(context=ctx)) as on_server, pytest.raises(Denied) as refused:
        on_server.call("runs.launch", env="sandbox", command=["touch", str(marker)])
    assert refused.value.message == "denied: a Stageward server never executes a command (runs.launch in sandbox)"
    assert not marker.exists()


@pytest.mark.ray
def test_a_remote_run_on_ray_is_submitted_by_the_launcher(server: TeamServer, checkout: Path) -> None:
    if not server.store_url.startswith("sqlite"):
        pytest.skip("the executor runs in the launcher: the store's engine plays no part (run once, on SQLite)")
    import os

    from tests.runs.rayhead import RayHead

    head = RayHead().start({k: v for k, v in os.environ.items() if not k.startswith(("STAGEWARD_", "RAY_"))})
    try:
        done = launcher(server, "sandbox", checkout, "run", "--env", "sandbox", "--executor", "ray", "--",
                        sys.executable, "-c", PRINT_CONFIG, STAGEWARD_RAY_ADDRESS=head.address,
                        STAGEWARD_RAY_PYTHON=sys.executable)  # fmt: skip
    finally:
        head.stop()
    assert done.returncode == 0, done.stderr
    assert '"password": "***"' in done.stdout and SECRET not in done.stdout
    run_id = done.stderr.strip().splitlines()[-1].split()[1]
    record = json.loads(server.cli("carol", "runs", "show", run_id, "--json").stdout)["run"]
    assert (record["executor"], record["status"], record["principal"]) == ("ray", "succeeded", "bob")
    assert record["external_id"]  # the Ray job's submission id, reported by the launcher
    logs = server.cli("carol", "runs", "logs", run_id)
    assert '"password": "***"' in logs.stdout and SECRET not in logs.stdout
