"""The one-shot config channel of Ray runs, over real loopback sockets, without Ray: one fetch with the token,
then nothing; a wrong token refused; the answer sealed to the job's key; the shim never runs a command without
its config; the launcher's settings refused with a clear line."""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from stageward.errors import BadInput
from stageward.runs.executors import Launch
from stageward.runs.executors.config_channel import MAX_REQUEST_BYTES, PATH, ConfigChannel
from stageward.runs.executors.ray_jobs import _open_channel, _ray_note
from stageward.runs.executors.ray_shim import CALLBACK, FETCH_FAILED, TOKEN, FetchFailed, fetch_config
from stageward.runs.executors.sealing import Sealed, SealError, new_job_key, open_sealed, seal

CONFIG = b'{"db": {"password": "hunter2-secret", "host": "db.local"}}'
RUN = "r-0001"


def _channel(timeout: float = 30.0) -> ConfigChannel:
    return ConfigChannel(CONFIG, RUN, "127.0.0.1", 0, timeout)


def _post(url: str, body: bytes) -> tuple[int, dict[str, str]]:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read())


def _body(token: str, key: bytes | None = None) -> bytes:
    key = key if key is not None else new_job_key()[1]
    return json.dumps({"token": token, "key": base64.b64encode(key).decode()}).encode()


def test_the_job_gets_the_config_once_and_a_second_fetch_with_the_token_is_refused():
    with _channel() as channel:
        assert fetch_config(channel.url, channel.token, RUN) == CONFIG
        assert channel.fetched
        with pytest.raises(FetchFailed, match="did not answer"):  # the listener closed after the first fetch
            fetch_config(channel.url, channel.token, RUN)


def test_a_wrong_token_is_refused_and_the_channel_stays_open_for_the_job():
    with _channel() as channel:
        wrong = ("0" if channel.token[0] != "0" else "1") + channel.token[1:]  # one character off
        with pytest.raises(FetchFailed, match=r"refused the fetch \(HTTP 403: wrong token\)"):
            fetch_config(channel.url, wrong, RUN)
        assert channel.refused == 1 and not channel.fetched
        assert fetch_config(channel.url, channel.token, RUN) == CONFIG


def test_an_answered_channel_refuses_even_a_fetch_already_queued():
    with _channel() as channel:
        assert channel.answer(channel.token, new_job_key()[1])[0] == 200
        status, body = channel.answer(channel.token, new_job_key()[1])
        assert status == 410 and "already fetched" in body["error"]


def test_a_closed_or_timed_out_channel_answers_nothing():
    channel = _channel()
    channel.close()
    with pytest.raises(FetchFailed, match="did not answer"):
        fetch_config(channel.url, channel.token, RUN)
    expired = _channel(timeout=0.05)
    expired._thread.join(timeout=5)
    with pytest.raises(FetchFailed, match="did not answer"):
        fetch_config(expired.url, expired.token, RUN)
    assert not expired.fetched


def test_a_held_channel_outlives_its_first_wait_and_a_shorter_hold_never_shortens_it():
    import time

    with _channel(timeout=0.3) as channel:
        channel.hold(10.0)  # the job is still queued
        channel.hold(0.01)  # a later, shorter hold leaves the longer one
        time.sleep(0.6)
        assert channel._thread.is_alive()
        assert fetch_config(channel.url, channel.token, RUN) == CONFIG


def test_a_passive_observer_of_the_exchange_learns_nothing_of_the_config():
    with _channel() as channel:
        private, public = new_job_key()
        status, answer = _post(channel.url, _body(channel.token, public))
        assert status == 200
        wire = json.dumps(answer).encode()
        for form in (CONFIG, b"hunter2-secret", base64.b64encode(b"hunter2-secret")):
            assert form not in wire and base64.b64encode(form) not in wire
        sealed = Sealed(*(base64.b64decode(answer[k]) for k in ("launcher_key", "nonce", "sealed")))
        assert open_sealed(sealed, private, RUN) == CONFIG
        with pytest.raises(SealError):  # another key pair (the observer's) does not open it
            open_sealed(sealed, new_job_key()[0], RUN)


def test_a_sealed_config_opens_only_for_its_run_and_untampered():
    private, public = new_job_key()
    sealed = seal(CONFIG, public, RUN)
    with pytest.raises(SealError):
        open_sealed(sealed, private, "r-0002")
    flipped = bytes([sealed.ciphertext[0] ^ 1]) + sealed.ciphertext[1:]
    with pytest.raises(SealError):
        open_sealed(Sealed(sealed.launcher_key, sealed.nonce, flipped), private, RUN)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"not json", 400),
        (b'{"token": "x"}', 400),  # no key
        (json.dumps({"token": "t", "key": base64.b64encode(b"k" * 31).decode()}).encode(), 403),  # token first
    ],
)
def test_malformed_fetches_are_refused_without_consuming_the_channel(body: bytes, status: int):
    with _channel() as channel:
        assert _post(channel.url, body)[0] == status
        assert not channel.fetched
        assert fetch_config(channel.url, channel.token, RUN) == CONFIG


def test_a_key_of_the_wrong_length_or_a_low_order_point_is_refused():
    with _channel() as channel:
        for key in (b"k" * 31, b"k" * 33, bytes(32)):  # bytes(32): X25519's all-zero point, no shared secret
            status, answer = _post(channel.url, _body(channel.token, key))
            assert (status, answer) == (400, {"error": "not an X25519 public key"})
        assert not channel.fetched
        assert fetch_config(channel.url, channel.token, RUN) == CONFIG


def test_the_request_body_is_bounded_exactly_at_its_limit():
    with _channel() as channel:
        body = _body(channel.token)
        at_limit = body[:-1] + b" " * (MAX_REQUEST_BYTES - len(body)) + b"}"
        over = body[:-1] + b" " * (MAX_REQUEST_BYTES - len(body) + 1) + b"}"
        assert len(at_limit) == MAX_REQUEST_BYTES
        status, answer = _post(channel.url, over)
        assert status == 400 and str(MAX_REQUEST_BYTES) in answer["error"]
        assert _post(channel.url, at_limit)[0] == 200


def test_only_the_config_path_is_served():
    with _channel() as channel:
        assert _post(channel.url.replace(PATH, "/other"), _body(channel.token))[0] == 404
        assert not channel.fetched


def test_a_silent_client_does_not_keep_the_job_out(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr("stageward.runs.executors.config_channel._Handler.timeout", 0.3)
    with _channel() as channel:
        port = int(channel.url.split(":")[2].split("/")[0])
        with socket.create_connection(("127.0.0.1", port)):  # connects and says nothing
            assert fetch_config(channel.url, channel.token, RUN) == CONFIG


def test_the_fetch_goes_straight_to_the_launcher_never_through_a_proxy(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")  # the discard port: a proxy that answers nothing
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    with _channel() as channel:
        assert fetch_config(channel.url, channel.token, RUN) == CONFIG


def _shim(tmp_path: Path, extra: dict[str, str]) -> subprocess.CompletedProcess[str]:
    marker = tmp_path / "ran"
    environ = {k: v for k, v in os.environ.items() if not k.startswith("STAGEWARD_")}
    environ.update({"STAGEWARD_RUN_ID": RUN, **extra})
    script = (
        "import os, pathlib, sys\n"
        f"pathlib.Path({str(marker)!r}).write_text(open(os.environ['STAGEWARD_CONFIG']).read())\n"
        f"print(sorted(k for k in os.environ if k in ({CALLBACK!r}, {TOKEN!r})))\n"
    )
    return subprocess.run(
        [sys.executable, "-m", "stageward.runs.executors.ray_shim", "--", sys.executable, "-c", script],
        env=environ, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_the_shim_runs_the_command_with_its_config_and_without_the_channel_variables(tmp_path: Path):
    with _channel() as channel:
        done = _shim(tmp_path, {CALLBACK: channel.url, TOKEN: channel.token})
    assert done.returncode == 0, done.stderr
    assert done.stdout == "[]\n"
    assert (tmp_path / "ran").read_bytes() == CONFIG


@pytest.mark.parametrize("which", ["wrong token", "no token", "no launcher"])
def test_the_shim_never_runs_the_command_without_its_config(tmp_path: Path, which: str):
    with _channel() as channel:
        extra = {
            "wrong token": {CALLBACK: channel.url, TOKEN: "f" * 64},
            "no token": {CALLBACK: channel.url},
            "no launcher": {CALLBACK: "http://127.0.0.1:9/stageward/config", TOKEN: channel.token},
        }[which]
        done = _shim(tmp_path, extra)
    assert done.returncode == FETCH_FAILED
    assert done.stderr.startswith("stageward: the run's config could not be fetched: ")
    assert len(done.stderr.splitlines()) == 1 and not (tmp_path / "ran").exists()


def _launch(**environ: str) -> Launch:
    return Launch(run_id=RUN, command=["true"], variables={}, config=CONFIG, workdir=Path("."), base_environ=environ)


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"STAGEWARD_RAY_CALLBACK_PORT": "65536"}, "STAGEWARD_RAY_CALLBACK_PORT='65536': expected a port"),
        ({"STAGEWARD_RAY_CALLBACK_PORT": "-1"}, "STAGEWARD_RAY_CALLBACK_PORT='-1': expected a port"),
        ({"STAGEWARD_RAY_CALLBACK_SECONDS": "0"}, "STAGEWARD_RAY_CALLBACK_SECONDS='0': expected more than 0"),
        ({"STAGEWARD_RAY_CALLBACK_SECONDS": "soon"}, "STAGEWARD_RAY_CALLBACK_SECONDS='soon': expected a number"),
        ({"STAGEWARD_RAY_CALLBACK_HOST": "192.0.2.1"}, "STAGEWARD_RAY_CALLBACK_HOST='192.0.2.1', "),
    ],
)
def test_bad_listener_settings_are_refused_naming_the_variable(environ: dict[str, str], message: str):
    with pytest.raises(BadInput) as refused:
        _open_channel(_launch(**environ))
    assert str(refused.value).startswith(message) and refused.value.exit_code == 2


def test_the_listener_settings_at_their_bounds_are_accepted():
    with _open_channel(_launch(STAGEWARD_RAY_CALLBACK_SECONDS="604800")) as channel:
        assert channel.url.startswith("http://127.0.0.1:")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free = probe.getsockname()[1]
    with _open_channel(_launch(STAGEWARD_RAY_CALLBACK_PORT=str(free))) as channel:
        assert channel.url == f"http://127.0.0.1:{free}{PATH}"
    with pytest.raises(BadInput, match="at most 604800"):
        _open_channel(_launch(STAGEWARD_RAY_CALLBACK_SECONDS="604800.5"))


def test_an_ipv6_listener_names_its_address_in_brackets():
    if not socket.has_ipv6:
        pytest.skip("no IPv6 on this machine")
    try:
        channel = ConfigChannel(CONFIG, RUN, "::1", 0, 30)
    except OSError:
        pytest.skip("::1 cannot be bound here")
    with channel:
        assert channel.url.startswith("http://[::1]:")
        assert fetch_config(channel.url, channel.token, RUN) == CONFIG


def test_rays_failure_message_reaches_the_record_without_the_log_it_quotes():
    message = (
        "Job entrypoint command failed with exit code 5, last available logs (truncated to 20,000 chars):\n"
        "password=hunter2-secret\n"
    )
    assert _ray_note(message) == "Job entrypoint command failed with exit code 5"
    assert _ray_note("Job was stopped.") == "Job was stopped."
    assert _ray_note(None) is None and _ray_note("") is None


@pytest.mark.parametrize(
    ("text", "accepted"), [("0", False), ("0.001", True), ("4096", True), ("4096.01", False), ("two", False)]
)
def test_the_cpus_a_ray_job_reserves_are_bounded_exactly(text: str, accepted: bool):
    from stageward.runs.executors.ray_jobs import _number

    arguments = ({"STAGEWARD_RAY_NUM_CPUS": text}, "STAGEWARD_RAY_NUM_CPUS", "1", 0, 4096)
    if accepted:
        assert _number(*arguments) == float(text)
    else:
        with pytest.raises(BadInput, match=rf"^STAGEWARD_RAY_NUM_CPUS='{text}': expected "):
            _number(*arguments)


class _Collected:
    """A sink that keeps what the executor hands it (the launcher's sink writes to a store; none is needed here)."""

    def __init__(self) -> None:
        self.data = bytearray()

    def output(self, data: bytes) -> None:
        self.data += data

    def heartbeat(self) -> None:
        """Nothing to keep alive here."""

    def cancel_signal(self) -> int | None:
        return None


def test_an_unreachable_ray_cluster_is_a_clear_error_naming_the_variable():
    from stageward.runs.executors.ray_jobs import RayExecutor

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]  # nothing listens there once the probe closes
    address = f"http://127.0.0.1:{closed}"
    launch = Launch(run_id=RUN, command=["true"], variables={}, config=CONFIG, workdir=Path("."),
                    base_environ={"STAGEWARD_RAY_ADDRESS": address})  # fmt: skip
    with pytest.raises(BadInput) as refused:
        RayExecutor().execute(launch, _Collected())
    assert str(refused.value).startswith(f"STAGEWARD_RAY_ADDRESS: cannot reach the Ray cluster at {address}: ")
    assert len(str(refused.value).splitlines()) == 1


def test_a_server_traceback_relayed_by_ray_becomes_one_line_naming_the_exception():
    from stageward.runs.executors.ray_jobs import _first_line

    relayed = RuntimeError(  # as Ray 2.60 relays it: the agent's traceback inside the head's
        "Request failed with status code 500: Traceback (most recent call last):\n"
        '  File "job_head.py", line 134, in _raise_error\n'
        '    raise RuntimeError(f"Request failed with status code {status}: {error_text}.")\n'
        "RuntimeError: Request failed with status code 400: Traceback (most recent call last):\n"
        '  File "job_manager.py", line 553, in submit_job\n'
        "    raise ValueError(\n"
        "ValueError: Job with submission_id stageward-1 already exists.\n.\n."
    )
    assert _first_line(relayed) == (
        "Request failed with status code 500: ValueError: Job with submission_id stageward-1 already exists."
    )
    assert _first_line(ConnectionError("Failed to connect to Ray at address: x.\nmore")) == (
        "Failed to connect to Ray at address: x."
    )
    assert _first_line(RuntimeError("")) == "RuntimeError"
    assert len(_first_line(RuntimeError("x" * 1000))) == 300
