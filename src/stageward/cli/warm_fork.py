"""The forked launcher of the warm launcher (warm_server.py): it becomes its caller's process (environment, folder,
umask, limits, scheduling, signals, standard streams), runs `stageward run` as a cold process would, and hands
the exit code back over the caller's connection."""

from __future__ import annotations

import contextlib
import io
import os
import signal
import socket
import sys
import threading
import time
import traceback
from typing import Any

from stageward.cli import warm_protocol as protocol


def launch(conn: socket.socket) -> int:
    """In the forked launcher: become the caller's process, run `stageward ARGV`, hand back its exit code.

    The caller's environment, folder, arguments and standard streams come only now, to this process, after it has
    said its pid: the warm launcher itself never reads them, so no caller's secrets stay in its memory for the
    forks that follow, and its streams are never held by a launcher that does not answer (a stopped one would keep
    the caller's pipes open after a cold run). A caller that gave up waiting for the pid, and starts cold, never
    sends them, so nothing runs twice."""
    # Once the caller knows this pid it forwards SIGINT and SIGTERM to it: they wait, blocked, until this process
    # has the caller's handlers and has begun main(), which answers them as a cold launcher would (not by dying
    # here, silent, with the warm launcher's handlers). The caller-watch thread keeps them blocked for good.
    signal.pthread_sigmask(signal.SIG_BLOCK, protocol.FORWARDED)
    conn.sendall(protocol.encode({"pid": os.getpid()}))
    request, fds = protocol.receive_with_stdio(conn, time.monotonic() + protocol.REQUEST_SECONDS)
    conn.settimeout(None)
    try:
        _take_over(request, fds)
    except (OSError, ValueError, KeyError, TypeError) as exc:  # its folder went away, a malformed request...
        # Nothing has run: the caller starts cold, and a cold launcher says what is wrong in its own words.
        conn.sendall(protocol.encode({"cold": f"{type(exc).__name__}"}))
        return 1
    threading.Thread(target=_die_with_caller, args=(conn,), name="caller-watch", daemon=True).start()
    from stageward.cli.main import main

    code = 0
    try:
        try:
            signal.pthread_sigmask(signal.SIG_SETMASK, request.get("blocked", []))  # the caller's own mask
            main(list(request["argv"]))
        finally:
            signal.pthread_sigmask(signal.SIG_BLOCK, protocol.FORWARDED)  # the exit status reaches the caller
    except SystemExit as exit_:
        code = _exit_code(exit_.code)
    except BaseException as error:  # what the interpreter of a cold launcher does with an uncaught exception
        # (main() lets one through only with STAGEWARD_DEBUG=1, which asks for exactly this traceback)
        traceback.print_exception(error)
        code = 130 if isinstance(error, KeyboardInterrupt) else 1
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
    conn.sendall(protocol.encode({"exit": code}))
    return code


def _exit_code(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    sys.stderr.write(f"{code}\n")  # what the interpreter does with sys.exit("message")
    return 1


def _die_with_caller(conn: socket.socket) -> None:
    """The caller is this run's launcher as far as its user knows: when it is gone, so is this process, as if it
    had been killed with it (its command dies through PR_SET_PDEATHSIG, its run is found lost)."""
    try:
        while conn.recv(64):
            pass
    except OSError:
        pass
    os.kill(os.getpid(), signal.SIGKILL)


def _take_over(request: dict[str, Any], fds: list[int]) -> None:
    for target, descriptor in zip(protocol.STDIO, fds, strict=True):
        os.dup2(descriptor, target)
    for descriptor in fds:
        os.close(descriptor)
    fds.clear()
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    os.chdir(request["cwd"])
    os.umask(int(request["umask"]))
    _limit(request.get("rlimits", []))
    _schedule(request)
    os.environ.clear()
    os.environ.update({str(k): str(v) for k, v in request["env"].items()})
    _ignore(request.get("ignored", []))
    streams = request.get("streams", {})
    sys.stdin = _stream(0, "r", streams.get("stdin"))
    sys.stdout = _stream(1, "w", streams.get("stdout"))
    sys.stderr = _stream(2, "w", streams.get("stderr"), line_buffering=True)
    sys.argv = ["stageward", *request["argv"]]


def _schedule(request: dict[str, Any]) -> None:
    """The caller's CPUs (taskset), scheduling policy (chrt), niceness and OOM score adjustment, which a cold
    launcher inherits and hands on to its command. One the caller holds only by a privilege this process lacks
    (a realtime policy, less niceness, a lower OOM adjustment) stays at the warm launcher's."""
    if request.get("cpus"):
        with contextlib.suppress(OSError, ValueError, TypeError):
            os.sched_setaffinity(0, [int(cpu) for cpu in request["cpus"]])
    if request.get("scheduler"):
        with contextlib.suppress(OSError, ValueError, TypeError):
            policy, priority = request["scheduler"]
            os.sched_setscheduler(0, int(policy), os.sched_param(int(priority)))
    with contextlib.suppress(OSError, ValueError, TypeError):
        os.setpriority(os.PRIO_PROCESS, 0, int(request.get("nice", 0)))
    if request.get("oom_score_adj") is not None:
        with contextlib.suppress(OSError), open("/proc/self/oom_score_adj", "w", encoding="ascii") as adjustment:
            adjustment.write(str(int(request["oom_score_adj"])))


def _ignore(ignored: list[int]) -> None:
    """The caller's ignored signals, which a cold launcher inherits and hands on to its command (`nohup` ignores
    SIGHUP; a shell's background job ignores SIGINT and SIGQUIT). Its signal mask is set in _launch."""
    for number in ignored:
        with contextlib.suppress(OSError, ValueError):
            signal.signal(number, signal.SIG_IGN)


def _limit(rlimits: list[list[int]]) -> None:
    import resource

    for number, soft, hard in rlimits:
        try:
            resource.setrlimit(number, (soft, hard))
        except (ValueError, OSError):
            _, current_hard = resource.getrlimit(number)
            try:  # a caller allowed more than the launcher: the launcher's ceiling, the caller's soft limit under it
                capped = soft if current_hard == resource.RLIM_INFINITY or 0 <= soft <= current_hard else current_hard
                resource.setrlimit(number, (capped, current_hard))
            except (ValueError, OSError):
                pass


def _stream(descriptor: int, mode: str, spec: Any, *, line_buffering: bool = False) -> io.TextIOWrapper:
    """A text stream over DESCRIPTOR as the interpreter makes sys.std*: the caller's encoding and error mode, line
    buffered on a terminal (and always for stderr)."""
    encoding, errors = (spec or ["utf-8", "strict"])[:2]
    raw = io.FileIO(descriptor, mode, closefd=False)
    line_buffering = line_buffering or os.isatty(descriptor)
    if mode == "r":
        return io.TextIOWrapper(io.BufferedReader(raw), encoding=encoding, errors=errors)
    return io.TextIOWrapper(io.BufferedWriter(raw), encoding=encoding, errors=errors, line_buffering=line_buffering)
