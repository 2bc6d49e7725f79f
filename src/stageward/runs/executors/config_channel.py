"""The one-shot channel a Ray job pulls its config through: a listener of the launcher serving exactly one fetch.

Ray keeps a job's runtime_env (and entrypoint and metadata) in its records, shown by the dashboard, `ray job list`
and the Jobs API long after the job: the config, secrets included, is never given to Ray. What Ray records is the
listener's address and a random 256-bit token. The job sends the token with an X25519 public key it made
(sealing.py) and gets the config sealed to that key. The token is worth one fetch: the listener answers the first
fetch that presents it, then closes; it also closes when the job ends (the executor closes it) and after a timeout.
A wrong token is refused and the listener stays open for the job.

Why http.server rather than a web framework: one POST with a small JSON body, answered once, and the job's side
(the shim) needs nothing beyond the stdlib's urllib to speak it.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import secrets
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

from stageward.runs.executors.sealing import SealError, seal

PATH = "/stageward/config"
MAX_REQUEST_BYTES = 4096  # a token and a public key, in JSON: far less
CONNECTION_SECONDS = 5.0  # a client that holds a connection open without speaking is dropped after this
_POLL_SECONDS = 0.1  # how often the serving thread looks whether it should stop


def _encode(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


class _Server(HTTPServer):
    channel: ConfigChannel

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks the bound host's name up (socket.getfqdn): a DNS query we do not need.
        self.socket.bind(self.server_address)
        self.server_address = self.socket.getsockname()[:2]


class _Server6(_Server):
    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    timeout = CONNECTION_SECONDS

    def log_message(self, format: str, *args: object) -> None:
        """Silent: the launcher's terminal shows the run's output, not the channel's requests."""

    def _answer(self, status: int, body: dict[str, str]) -> None:
        data = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._answer(405, {"error": "POST the token and a public key"})

    def do_POST(self) -> None:
        channel = self.server.channel
        if self.path != PATH:
            self._answer(404, {"error": f"not found: {self.path[:100]}"})
            return
        try:
            length = int(self.headers.get("Content-Length") or "-1")
        except ValueError:
            length = -1
        if not 0 < length <= MAX_REQUEST_BYTES:
            self._answer(400, {"error": f"the request body must be 1 to {MAX_REQUEST_BYTES} bytes"})
            return
        try:
            body = json.loads(self.rfile.read(length))
            token = str(body["token"])
            job_key = base64.b64decode(str(body["key"]), validate=True)
        except (ValueError, KeyError, TypeError, binascii.Error):
            self._answer(400, {"error": "expected JSON with a token and a base64 public key"})
            return
        status, answer = channel.answer(token, job_key)
        self._answer(status, answer)


class ConfigChannel:
    """Listens on HOST:PORT (0: a free port) in a thread of its own until one fetch is answered, or close()."""

    def __init__(self, config: bytes, run_id: str, host: str, port: int, timeout_seconds: float) -> None:
        self._config = config
        self._run_id = run_id
        self.token = secrets.token_hex(32)  # 256 bits
        self._lock = threading.Lock()
        self._done = threading.Event()
        self.fetched = False
        self.refused = 0
        server_class = _Server6 if ":" in host else _Server
        self._server = server_class((host, port), _Handler)
        self._server.channel = self
        self._server.timeout = _POLL_SECONDS
        bound_host, bound_port = self._server.socket.getsockname()[:2]
        shown = f"[{bound_host}]" if ":" in bound_host else bound_host
        self.url = f"http://{shown}:{bound_port}{PATH}"
        self._deadline = time.monotonic() + timeout_seconds
        self._thread = threading.Thread(target=self._serve, name="stageward-ray-config", daemon=True)
        self._thread.start()

    def answer(self, token: str, job_key: bytes) -> tuple[int, dict[str, str]]:
        with self._lock:
            if self.fetched or self._done.is_set():
                return 410, {"error": "the config was already fetched, or the run ended"}
            if not hmac.compare_digest(token.encode("utf-8"), self.token.encode("utf-8")):
                self.refused += 1
                return 403, {"error": "wrong token"}
            try:
                sealed = seal(self._config, job_key, self._run_id)
            except (SealError, ValueError):  # a key of the wrong length, or a low-order point X25519 refuses
                return 400, {"error": "not an X25519 public key"}
            self.fetched = True
            self._done.set()
            self._config = b""  # this process keeps no copy it no longer needs to give
        return 200, {
            "launcher_key": _encode(sealed.launcher_key),
            "nonce": _encode(sealed.nonce),
            "sealed": _encode(sealed.ciphertext),
        }

    def hold(self, seconds: float) -> None:
        """Keep answering for SECONDS more from now (never less than already allowed): the job is still queued, and
        its time to fetch counts from when it starts."""
        self._deadline = max(self._deadline, time.monotonic() + seconds)

    def _serve(self) -> None:
        try:
            while not self._done.is_set() and time.monotonic() < self._deadline:
                self._server.handle_request()  # returns after one request, or after _POLL_SECONDS idle
        finally:
            self._done.set()
            self._server.server_close()

    def close(self) -> None:
        """The listener stops answering and its port is released (within _POLL_SECONDS)."""
        self._done.set()
        self._thread.join()

    def __enter__(self) -> ConfigChannel:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
