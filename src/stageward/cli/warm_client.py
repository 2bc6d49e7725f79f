"""The caller's side of the warm launcher (cli/warm_server.py): hand `stageward run` over, start, ask, stop.

`hand_over` is on every `stageward run`'s path, before anything heavy is imported: without a warm launcher it
costs one failed connect. It never falls back to a cold start once the warm launcher has begun the run: the
caller sends its request only to the forked launcher that has answered, and a launcher that does not answer
within ANSWER_SECONDS is given nothing.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
import time
from types import FrameType
from typing import Any

from stageward.cli import warm_protocol as protocol

# What the warm launcher keeps of the environment it is started from: what Python and the socket's folder need.
# Everything else (STAGEWARD_*, cloud credentials, tokens) stays out of a process that lives for an hour.
KEPT = frozenset(
    {"PATH", "HOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "TZ", "TMPDIR", "XDG_RUNTIME_DIR", "VIRTUAL_ENV"}
)

# How long a caller waits for the warm launcher to take its run (it answers in milliseconds) before starting cold:
# a launcher stopped (SIGSTOP), wedged or busy with a stalled caller must not hang every `stageward run`.
ANSWER_SECONDS = 5.0


def _connect(timeout: float = ANSWER_SECONDS) -> socket.socket | None:
    try:
        path = protocol.socket_path()
    except protocol.Unusable:
        return None
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)  # a full backlog makes even connect() wait
    try:
        sock.connect(str(path))
        if not protocol.same_user(sock):  # a socket in our own 0700 folder that another user serves: never talk
            raise ConnectionRefusedError
    except OSError:
        sock.close()
        return None
    return sock


def _run_request(argv: list[str]) -> dict[str, Any]:
    import resource

    limits = []
    for name in dir(resource):
        if name.startswith("RLIMIT_"):
            number = getattr(resource, name)
            try:
                soft, hard = resource.getrlimit(number)
            except (ValueError, OSError):
                continue
            limits.append([number, soft, hard])
    umask = os.umask(0o022)
    os.umask(umask)
    ignored = [number for number in signal.valid_signals() if _ignored(number)]
    streams = {
        name: [getattr(stream, "encoding", None) or "utf-8", getattr(stream, "errors", None) or "strict"]
        for name, stream in (("stdin", sys.stdin), ("stdout", sys.stdout), ("stderr", sys.stderr))
    }
    return {
        "argv": argv,
        "cwd": os.getcwd(),
        "env": dict(os.environ),
        "umask": umask,
        "rlimits": limits,
        "nice": os.getpriority(os.PRIO_PROCESS, 0),
        "scheduler": [os.sched_getscheduler(0), os.sched_getparam(0).sched_priority],
        "cpus": sorted(os.sched_getaffinity(0)),
        "oom_score_adj": _oom_score_adj(),
        "streams": streams,
        "ignored": sorted(int(number) for number in ignored),
        "blocked": sorted(int(number) for number in signal.pthread_sigmask(signal.SIG_BLOCK, [])),
    }


def _oom_score_adj() -> str | None:
    try:
        with open("/proc/self/oom_score_adj", encoding="ascii") as adjustment:
            return adjustment.read().strip()
    except OSError:
        return None


def _ignored(number: int) -> bool:
    try:
        return signal.getsignal(number) == signal.SIG_IGN
    except (OSError, ValueError):
        return False


def hand_over(argv: list[str]) -> int | None:
    """Run `stageward ARGV` in the warm launcher serving this installation: its exit code, or None when there is
    none (or it cannot serve this caller), and the caller starts cold."""
    sock = _connect()
    if sock is None:
        return None
    with sock:
        try:
            sock.sendall(protocol.encode({"kind": "run"}))
            reply = protocol.read_frame(sock, time.monotonic() + ANSWER_SECONDS)
            if "pid" in reply:  # the forked launcher waits for this before it runs anything
                request = _run_request(argv)
                if len(protocol.encode(request)) > protocol.MAX_FRAME:
                    return None  # an environment past what it reads (escaped, up to 6 bytes a character)
                sock.settimeout(None)
                protocol.send_with_stdio(sock, request)
        except TimeoutError:
            sys.stderr.write(
                f"note: the warm launcher did not answer within {ANSWER_SECONDS:g} s; this run starts cold\n"
            )
            return None
        except (OSError, EOFError, ValueError):
            return None  # it went away before anything ran
        except KeyboardInterrupt:  # before the launcher began: it sees the connection close and ends
            sys.stderr.write("interrupted\n")
            return 130
        if reply.get("stale"):
            sys.stderr.write(
                "note: the warm launcher was running older code and has stopped; this run starts cold"
                " (`stageward launcher start` warms it again)\n"
            )
            return None
        if "pid" not in reply:
            return None
        try:
            return _follow(sock, int(reply["pid"]))
        except KeyboardInterrupt:  # before the forwarding was in place: the launcher ends with the connection
            sys.stderr.write("interrupted\n")
            return 130


def _follow(sock: socket.socket, pid: int) -> int | None:
    """The run's exit code; None when the forked launcher could not take the caller over and ran nothing."""
    forwarded = []

    def forward(number: int, _frame: FrameType | None) -> None:
        forwarded.append(number)
        with contextlib.suppress(ProcessLookupError):  # it has just ended: its exit frame is on the way
            os.kill(pid, number)

    previous = {number: signal.signal(number, forward) for number in protocol.FORWARDED}
    try:
        while True:
            frame = protocol.read_frame(sock)
            if "exit" in frame:
                return int(frame["exit"])
            if "cold" in frame:
                if forwarded:  # the user interrupted it already: no cold run after that
                    sys.stderr.write("interrupted\n")
                    return 130
                return None
    except (OSError, EOFError, ValueError):
        sys.stderr.write(
            "error: the warm launcher's process for this run ended without an exit status\n"
            "  hint: stageward runs list shows how the run ended\n"
        )
        return 1
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def ask(kind: str) -> dict[str, Any] | None:
    """A `ping` or `stop` answered by the warm launcher of this installation, or None when none answers."""
    sock = _connect()
    if sock is None:
        return None
    with sock:
        try:
            sock.sendall(protocol.encode({"kind": kind}))
            return protocol.read_frame(sock, time.monotonic() + ANSWER_SECONDS)
        except (OSError, EOFError, ValueError):
            return None


def start(idle_seconds: float, timeout: float = 60.0) -> dict[str, Any]:
    """Start a warm launcher in the background and wait until it answers; its status. Raises RuntimeError with
    the reason it gave when it does not come up."""
    import subprocess

    path = protocol.socket_path(create=True)  # Unusable says which folder and why
    log = path.with_suffix(".log")
    environ = {key: value for key, value in os.environ.items() if key in KEPT or key.startswith(("LC_", "PYTHON"))}
    # Appended to, never truncated here: a start racing this one may already write to it (warm_server._own_log).
    descriptor = protocol.open_private(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        process = subprocess.Popen(
            [sys.executable, "-P", "-m", "stageward.cli.warm_server", "--idle", repr(idle_seconds)],
            cwd="/",
            env=environ,
            stdin=subprocess.DEVNULL,
            stdout=descriptor,
            stderr=descriptor,
            start_new_session=True,
        )
    finally:
        os.close(descriptor)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = ask("ping")
        if status is not None and status.get("pid") == process.pid:
            return status
        if process.poll() == 0:
            # It found another launcher holding the lock, maybe one a racing start has just begun and that does
            # not answer yet: that one is the answer once it does.
            status = ask("ping")
            if status is not None:
                return status
        elif process.poll() is not None:
            said = log.read_text(errors="replace").strip().splitlines()
            raise RuntimeError(said[-1] if said else f"it exited with {process.returncode}")
        time.sleep(0.02)
    process.kill()
    raise RuntimeError(f"it did not answer within {timeout:.0f} s (its log: {log})")


def stop(timeout: float = 10.0) -> int | None:
    """Stop the warm launcher of this installation: the pid that stopped, or None when none was running."""
    answer = ask("stop")
    if answer is None:
        return None
    pid = int(answer["stopping"])
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and ask("ping") is not None:
        time.sleep(0.02)
    return pid
