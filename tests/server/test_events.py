"""Events: written with the change, delivered as signed webhooks (verified with `standardwebhooks`), retried,
logged, exactly once per event id across a server killed mid-delivery, and streamed as SSE after Last-Event-ID."""

from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook

from tests.server.support import TeamServer, team_server

pytestmark = pytest.mark.shared_config_home


class Receiver:
    """A webhook receiver on a free port: verifies each signature, keeps each processed event id once.

    While `hold` is set, a request is taken in and never answered (the server is killed meanwhile)."""

    def __init__(self) -> None:
        self.secret = ""
        self.processed: list[str] = []
        self.seen: list[str] = []
        self.bad_signatures = 0
        self.hold = threading.Event()
        self.held = threading.Event()
        self.release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                headers = {k.lower(): v for k, v in self.headers.items()}
                receiver.seen.append(headers["webhook-id"])
                if receiver.hold.is_set():
                    receiver.held.set()
                    receiver.release.wait(30)
                    return  # no answer: the sender died waiting
                try:
                    event = Webhook(receiver.secret).verify(body, headers)
                except Exception:
                    receiver.bad_signatures += 1
                    self.send_response(400)
                    self.end_headers()
                    return
                if headers["webhook-id"] not in receiver.processed:
                    receiver.processed.append(headers["webhook-id"])
                    receiver.events.append(event)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                return None

        self.events: list[dict[str, Any]] = []
        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.http.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http.server_address[1]}/hook"

    def wait_for(self, count: int, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while len(self.processed) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(self.processed) >= count, (self.processed, self.seen)

    def close(self) -> None:
        self.release.set()
        self.http.shutdown()


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    made = Receiver()
    yield made
    made.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, receiver: Receiver) -> Iterator[TeamServer]:
    work = tmp_path_factory.mktemp("events")
    # The receiver is on loopback, which webhooks may not reach unless the operator allows it (server/egress.py).
    made = team_server(
        work / "project",
        f"sqlite:///{work / 'store' / 'stageward.db'}",
        STAGEWARD_WEBHOOK_ALLOW_NETWORKS="127.0.0.1/32",
    )
    made.make_key("alice", "alice", "development")
    made.make_key("bob", "bob", "development")
    with made.admin() as alice:
        added = alice.call("webhooks.add", env="development", url=receiver.url)
    receiver.secret = added["secret"]
    made.start()
    yield made
    made.stop()


def _publish(server: TeamServer, key: str, path: Path, name: str) -> dict[str, Any]:
    from stageward.client import Client, HttpTransport

    path.write_bytes(path.name.encode())
    with Client(HttpTransport(server.url, server.keys[key]["key"])) as client:
        result: dict[str, Any] = client.call("model.publish", env="development", name=name, path=str(path))
        return result


def test_alias_moves_and_denials_reach_the_webhook_signed(
    server: TeamServer, receiver: Receiver, tmp_path: Path
) -> None:
    version = _publish(server, "alice", tmp_path / "a.bin", "ranker")["version"]
    route = "/api/v1/envs/development/models/ranker/aliases"
    with server.http("alice") as alice:
        moved = alice.put(route, json={"version": version, "alias": "champion"})
    with server.http("bob") as bob:  # a developer may not move aliases: denied, audited, an event
        denied = bob.put(route, json={"version": version, "alias": "champion"})
    assert moved.status_code == 200 and denied.status_code == 403
    receiver.wait_for(3)
    kinds = [event["type"] for event in receiver.events[:3]]
    assert kinds == ["version.registered", "alias.moved", "access.denied"]
    registered = receiver.events[0]["data"]
    assert registered["target"] == f"ranker:{version}" and registered["principal"] == "alice"
    assert registered["details"]["kind"] == "model" and registered["details"]["files"] == 1
    assert receiver.events[1]["data"]["target"] == "ranker@champion"
    assert receiver.events[2]["data"]["details"]["api_key"] == server.keys["bob"]["prefix"]
    assert receiver.bad_signatures == 0
    listed = server.cli("alice", "webhooks", "deliveries", "1", "--json")
    assert listed.returncode == 0, listed.stderr
    assert {row["state"] for row in json.loads(listed.stdout)} == {"delivered"}
    metrics = httpx.get(f"{server.url}/metrics").text
    assert 'stageward_webhook_deliveries_total{outcome="delivered"}' in metrics


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://hooks.example/x", "expected an http:// or https:// URL with a host"),
        ("http:///path", "expected an http:// or https:// URL with a host"),
        ("http://169.254.169.254/latest/meta-data/", "link-local or metadata address"),
        ("http://[fe80::1]/x", "link-local or metadata address"),
        ("https://hooks.example/" + "x" * 2048, "at most 2048 characters"),
    ],
)
def test_a_webhook_url_is_checked(server: TeamServer, url: str, message: str) -> None:
    with server.http("alice") as alice:
        response = alice.post("/api/v1/envs/development/webhooks", json={"url": url})
    assert response.status_code == 400 and message in response.json()["error"]["message"]
    assert "secret" not in response.text


def test_the_event_stream_resumes_after_last_event_id(server: TeamServer, receiver: Receiver) -> None:
    receiver.wait_for(3)
    first = int(receiver.processed[1].removeprefix("evt_"))  # the alias move: the denial comes after it
    with server.http("alice") as alice, alice.stream(
        "GET", "/api/v1/events", headers={"Last-Event-ID": str(first)}, timeout=10
    ) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        lines = stream.iter_lines()
        got = [next(lines) for _ in range(3)]
    assert got[0] == f"id: {first + 1}"
    assert got[1] == "event: access.denied"
    assert json.loads(got[2].removeprefix("data: "))["id"] == first + 1
    with server.http("bob") as bob:
        foreign = bob.get("/api/v1/events", params={"env": "production"})
        garbage = bob.get("/api/v1/events", headers={"Last-Event-ID": "1; DROP"})
    assert foreign.status_code == 403 and garbage.status_code == 400


def test_a_server_killed_mid_delivery_delivers_after_restart_exactly_once(
    server: TeamServer, receiver: Receiver, tmp_path: Path
) -> None:
    receiver.wait_for(3)
    before = list(receiver.processed)
    receiver.hold.set()
    _publish(server, "alice", tmp_path / "b.bin", "scorer")
    with server.http("alice") as alice:
        assert alice.put(
            "/api/v1/envs/development/models/scorer/aliases", json={"version": 1, "alias": "champion"}
        ).status_code == 200
    assert receiver.held.wait(30)  # the server is sending it, and waits for an answer that never comes
    assert server.process is not None
    server.process.send_signal(signal.SIGKILL)
    server.process.wait()
    receiver.hold.clear()
    receiver.release.set()
    server.start()
    receiver.wait_for(len(before) + 2)  # the registration, then the alias move
    assert len(receiver.processed) == len(set(receiver.processed))  # each id processed once
    held = receiver.processed[len(before)]  # the registration the dead server was sending
    assert receiver.seen.count(held) == 2  # sent before the kill, sent again after: the id kept both times
    assert receiver.bad_signatures == 0


def test_a_webhook_to_an_address_the_operator_did_not_allow_is_never_sent(server: TeamServer) -> None:
    # Added fine (a URL's host is judged when it is sent, as names change their answers), refused at delivery:
    # the server allows 127.0.0.1/32, and ::1 is loopback outside it.
    with server.http("alice") as alice:
        added = alice.post("/api/v1/envs/development/webhooks", json={"url": "http://[::1]:9/in"})
        assert added.status_code == 200, added.text
        hook = added.json()["id"]
    with server.http("bob") as bob:  # a denial: an event for every webhook of development
        assert bob.put(
            "/api/v1/envs/development/models/ranker/aliases", json={"version": 1, "alias": "champion"}
        ).status_code == 403
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        listed = server.cli("alice", "webhooks", "deliveries", str(hook), "--json")
        rows = json.loads(listed.stdout) if listed.returncode == 0 else []
        if rows and rows[0]["state"] == "failed":
            break
        time.sleep(0.2)
    assert [(r["state"], r["attempts"], r["last_error"]) for r in rows][:1] == [
        ("failed", 1, "refused: ::1 is an address that is not public (allow its network with "
         "STAGEWARD_WEBHOOK_ALLOW_NETWORKS)")
    ]
