"""The entrypoint of a Ray job: fetch the run's config from its launcher, make it a 0600 memfd, exec the command.

The config is not in the job's record (config_channel.py says why): the shim makes an X25519 key pair, sends the
public key with the one-shot token to the launcher's listener (STAGEWARD_RAY_CALLBACK), opens the sealed answer
and writes the config to a memfd named by STAGEWARD_CONFIG. A fetch that fails (refused, unreachable, tampered)
ends the job with exit 78 and one line saying so: the command never runs without its config.

The command replaces this process (exec), so it keeps the pid and the open memfd the config path names, and the
variables of the channel are gone from its environment.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import sys
import urllib.error
import urllib.request

CALLBACK = "STAGEWARD_RAY_CALLBACK"
TOKEN = "STAGEWARD_RAY_TOKEN"
FETCH_FAILED = 78  # EX_CONFIG of sysexits.h: the job could not get its configuration
FETCH_SECONDS = 30.0
MAX_ANSWER_BYTES = 64 << 20


class FetchFailed(Exception):
    """The config could not be fetched from the launcher; the message says why."""


def fetch_config(url: str, token: str, run_id: str) -> bytes:
    from stageward.runs.executors.sealing import Sealed, SealError, new_job_key, open_sealed

    private, public = new_job_key()
    body = json.dumps({"token": token, "key": base64.b64encode(public).decode("ascii")}).encode("utf-8")
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"}, method="POST")
    # No proxy: the token goes straight to the launcher, never through a proxy the job's environment names.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=FETCH_SECONDS) as answer:
            document = json.loads(answer.read(MAX_ANSWER_BYTES))
    except urllib.error.HTTPError as refused:
        raise FetchFailed(f"the launcher refused the fetch (HTTP {refused.code}: {_reason(refused)})") from None
    except (OSError, ValueError) as exc:
        raise FetchFailed(f"the launcher at {url} did not answer: {exc}") from None
    try:
        sealed = Sealed(
            launcher_key=base64.b64decode(document["launcher_key"], validate=True),
            nonce=base64.b64decode(document["nonce"], validate=True),
            ciphertext=base64.b64decode(document["sealed"], validate=True),
        )
        return open_sealed(sealed, private, run_id)
    except (KeyError, TypeError, binascii.Error, SealError, ValueError) as exc:
        raise FetchFailed(f"the launcher's answer does not open: {exc}") from None


def _reason(refused: urllib.error.HTTPError) -> str:
    try:
        return str(json.loads(refused.read(4096))["error"])
    except (OSError, ValueError, KeyError, TypeError):
        return str(refused.reason)


def main(argv: list[str]) -> int:
    command = argv[1:] if argv[:1] == ["--"] else argv
    if not command:
        sys.stderr.write("stageward ray_shim: no command\n")
        return 2
    environ = dict(os.environ)
    url = environ.pop(CALLBACK, "")
    token = environ.pop(TOKEN, "")
    try:
        if not url or not token:
            raise FetchFailed(f"{CALLBACK} and {TOKEN} must both be set")
        content = fetch_config(url, token, environ.get("STAGEWARD_RUN_ID", ""))
    except FetchFailed as failed:
        sys.stderr.write(f"stageward: the run's config could not be fetched: {failed}\n")
        return FETCH_FAILED
    descriptor = os.memfd_create("stageward-config", 0)  # inheritable: the command keeps it across exec
    os.fchmod(descriptor, 0o600)
    os.write(descriptor, content)
    environ["STAGEWARD_CONFIG"] = f"/proc/{os.getpid()}/fd/{descriptor}"
    try:
        os.execvpe(command[0], command, environ)
    except OSError as exc:
        sys.stderr.write(f"stageward: command not found: {command[0]}: {exc.strerror}\n")
        return 127
    return 0  # not reached: exec replaced this process


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
