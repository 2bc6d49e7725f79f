"""The warm launcher: a process that has imported what `stageward run` needs and forks a ready launcher for each
caller, so a run starts without paying for SQLAlchemy, pydantic and Typer again (about 0.4 s of CPU).

This is the fork server of multiprocessing's `forkserver` start method, Gradle's daemon or mypy's dmypy. It is
started on purpose (`stageward launcher start`) and stops by itself when idle. What keeps it a wall and not a door:

- It holds nothing worth taking: it starts with a scrubbed environment (no STAGEWARD_*, no cloud credentials),
  imports modules and opens no store, no key, no project, and it never reads a caller's environment, arguments
  or standard streams: its fork does. Each forked launcher takes the caller's environment, folder, umask,
  resource limits, scheduling, ignored signals and standard streams, then runs `stageward run` exactly as a cold
  process would and opens everything itself.
- Only its own user reaches it: the socket is in a 0700 folder of that user, every connection's peer uid and gid
  must be its own (or it gets no answer), and a run is forked only for a caller whose credentials and
  confinement (groups, capabilities, no_new_privs, seccomp, LSM label, namespaces), read from /proc, equal its
  own; any other caller is told to start cold.
- It never serves code other than what it imported: if any file it imported changed (an upgrade, an edit in a
  checkout) it says "stale", exits, and the caller starts cold.
- Killing the caller kills its launcher: the launcher watches the connection and SIGKILLs itself when the caller
  is gone, so the run's command dies with it and the run becomes `lost`, as with a cold launcher.

Run as `python -P -m stageward.cli.warm_server --idle SECONDS` (by `stageward launcher start`).
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import importlib
import os
import select
import signal
import socket
import stat
import sys
import threading
import time
from pathlib import Path
from typing import Any

from stageward.cli import warm_cgroup
from stageward.cli import warm_protocol as protocol
from stageward.cli.warm_fork import launch

DROPS_LOGGED = 20  # dropped requests written to the log before it says no more

# What a cold `stageward run` imports, so a forked launcher finds it loaded. The CLI's `run` command itself is
# built per call (_build_app), and whatever is missing here is simply imported by the launcher that needs it.
PRELOAD = (
    "typer",
    "stageward.cli.run_cmd",
    "stageward.cli.main",
    "stageward.cli.state",
    "stageward.cli.render",
    "stageward.client",
    "stageward.service.catalogue",
    "stageward.service.runs",
    "stageward.service.run_launcher",
    "stageward.service.bootstrap",
    "stageward.service.context",
    "stageward.runs.guardrails",
    "stageward.runs.gitstate",
    "stageward.runs.scan",
    "stageward.runs.masking",
    "stageward.runs.executors.local",
    "stageward.store.db.engine",
    "stageward.store.db.access_repo",
    "stageward.store.db.audit_repo",
    "stageward.store.db.events_repo",
    "stageward.store.db.policy_repo",
    "stageward.store.db.runs_repo",
    "stageward.store.db.secrets_repo",
    "stageward.store.db.quick_sqlite",
    "stageward.service.config",
    "stageward.service.events",
    "stageward.service.keyring",
    "stageward.service.key_login",
    "stageward.service.chain_key",
    "stageward.service.unit",
    "stageward.service.scan",
    "stageward.service.secret_source",
    "stageward.service.quick_config",
    "stageward.secrets.envelope",
    "stageward.configuration.resolve",
    "stageward.runs.cost",
    "cryptography.hazmat.primitives.ciphers.aead",
    "cryptography.hazmat.primitives.kdf.hkdf",
    "sqlalchemy.dialects.sqlite",
    "sqlite3",
    "resource",
    "typer._adapters",
    "typer._click.decorators",
    "pydantic.type_adapter",
)
# Where they are installed: a PostgreSQL store, S3 blobs, a run against a team server. Never Ray: importing it
# can start threads, and a process with threads must not fork.
OPTIONAL_PRELOAD = (
    "sqlalchemy.dialects.postgresql.psycopg",
    "psycopg",
    "boto3",
    "stageward.store.blobs.s3",
    "stageward.store.blobs.file",
    "httpx",
    "stageward.remote_run",
)


def _stamp(path: str) -> tuple[int, int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_mtime_ns, info.st_size, info.st_ino


def _fingerprint() -> dict[str, tuple[int, int, int] | None]:
    """Every file this process imported, and the interpreter: if one changes, what is loaded is not what is
    installed any more."""
    files = {sys.executable}
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        if isinstance(path, str):
            files.add(path)
    return {path: _stamp(path) for path in files}


def _preload() -> None:
    for name in PRELOAD:
        importlib.import_module(name)
    for name in OPTIONAL_PRELOAD:
        try:
            importlib.import_module(name)
        except ImportError:
            continue
    from stageward.cli.main import _build_app

    _build_app("run")


class WarmLauncher:
    def __init__(self, path: Path, idle_seconds: float, lock: int) -> None:
        self.path = path
        self.lock = lock
        self.idle_seconds = idle_seconds
        self.started = time.time()
        self.last_active = time.monotonic()
        self.served = 0
        self.children: set[int] = set()
        self.identity = protocol.identity()
        self.fingerprint = _fingerprint()
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.inode = 0
        self.stopping = False
        self.drops = 0

    def listen(self) -> None:
        self.path.unlink(missing_ok=True)  # we hold the lock: a socket left here is a dead launcher's
        previous = os.umask(0o077)
        try:
            self.listener.bind(str(self.path))
        finally:
            os.umask(previous)
        self.listener.listen(64)
        self.inode = os.stat(self.path).st_ino

    def fresh(self) -> bool:
        return all(_stamp(path) == stamp for path, stamp in self.fingerprint.items())

    def _still_ours(self) -> bool:
        try:
            return os.stat(self.path).st_ino == self.inode
        except OSError:
            return False

    def _reap(self) -> None:
        for pid in list(self.children):
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                done = pid
            if done:
                self.children.discard(pid)

    def serve_forever(self) -> None:
        while not self.stopping:
            self._reap()
            if not self._still_ours():
                return  # someone removed or replaced the socket: this launcher can no longer be reached
            if self.children:
                self.last_active = time.monotonic()
            elif time.monotonic() - self.last_active >= self.idle_seconds:
                return
            ready, _, _ = select.select([self.listener], [], [], 0.5)
            if ready:
                conn, _ = self.listener.accept()
                self.last_active = time.monotonic()
                try:
                    self._answer(conn)
                except (OSError, EOFError, ValueError) as exc:
                    self._dropped(exc)
                finally:
                    conn.close()

    def _dropped(self, exc: BaseException) -> None:
        # A flood of broken requests must not fill the folder the log shares with the user's session (a tmpfs).
        self.drops += 1
        if self.drops <= DROPS_LOGGED:
            sys.stderr.write(f"a request was dropped: {type(exc).__name__}: {exc}\n")
        if self.drops == DROPS_LOGGED:
            sys.stderr.write("further dropped requests are not logged\n")

    def _answer(self, conn: socket.socket) -> None:
        if not protocol.same_user(conn):
            return  # another user: not even an answer
        # One caller at a time is served, so a caller that connects and says nothing, or trickles its request a
        # byte at a time, holds the others up for this long at most (a real caller sends it at once).
        # A plain receive: descriptors sent along are dropped by the kernel, never held here.
        kind = protocol.read_frame(conn, time.monotonic() + protocol.REQUEST_SECONDS).get("kind")
        if kind == "ping":
            conn.sendall(protocol.encode(self.status()))
        elif kind == "stop":
            conn.sendall(protocol.encode({"stopping": os.getpid()}))
            self.stopping = True
        elif kind == "run":
            self._run(conn)
        else:
            conn.sendall(protocol.encode({"cold": f"unknown request {kind!r}"}))

    def status(self) -> dict[str, Any]:
        self._reap()
        return {
            "pid": os.getpid(),
            "started": self.started,
            "served": self.served,
            "running": len(self.children),
            "idle_seconds": self.idle_seconds,
            "fresh": self.fresh(),
        }

    def _run(self, conn: socket.socket) -> None:
        if not self.fresh():
            conn.sendall(protocol.encode({"stale": True}))
            self.stopping = True
            return
        # The caller's credentials and confinement as the kernel knows them, never as the request states them.
        caller = protocol.peer_identity(conn)
        if caller is None or protocol.confinement(caller) != protocol.confinement(self.identity):
            conn.sendall(protocol.encode({"cold": "its credentials or confinement differ from the launcher's"}))
            return
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                self.listener.close()
                os.close(self.lock)  # the lock is the launcher's: a long run must not keep a new one from starting
                try:
                    warm_cgroup.join(caller[protocol.CGROUP])
                    protocol.set_io_priority(int(caller[protocol.IO_PRIORITY]))
                except OSError as exc:  # before the fork answered: nothing ran, the caller starts cold
                    conn.sendall(protocol.encode({"cold": str(exc)}))
                else:
                    code = launch(conn)
            finally:
                os._exit(code)
        self.children.add(pid)
        self.served += 1

    def close(self) -> None:
        if self._still_ours():
            self.path.unlink(missing_ok=True)
        self.listener.close()


def _own_log(log: Path) -> None:
    """Empty the log this launcher writes to: every `launcher start` opens it for appending (two may race, and
    the one that loses must not cut the winner's lines), and the one holding the lock owns it."""
    with contextlib.suppress(OSError):
        mine, there = os.fstat(2), os.stat(log, follow_symlinks=False)
        if (mine.st_dev, mine.st_ino) == (there.st_dev, there.st_ino) and stat.S_ISREG(mine.st_mode):
            os.ftruncate(2, 0)


def serve(idle_seconds: float) -> int:
    try:
        path = protocol.socket_path(create=True)
        lock = protocol.open_private(path.with_suffix(".lock"), os.O_RDWR | os.O_CREAT)
    except protocol.Unusable as exc:
        sys.stderr.write(f"{exc}\n")
        return 2
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        sys.stderr.write("another warm launcher already serves this installation\n")
        return 0
    _own_log(path.with_suffix(".log"))
    _preload()
    if threading.active_count() != 1:  # forking a process with threads copies their locks, held, without them
        sys.stderr.write("a preloaded module started a thread; the warm launcher cannot fork safely\n")
        return 1
    launcher = WarmLauncher(path, idle_seconds, lock)
    signal.signal(signal.SIGTERM, lambda *_: setattr(launcher, "stopping", True))
    launcher.listen()
    try:
        launcher.serve_forever()
    finally:
        launcher.close()
        os.close(lock)
    return 0


def _arguments(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(prog="python -m stageward.cli.warm_server")
    parser.add_argument("--idle", type=float, default=3600.0, help="stop after this many seconds without a call")
    return float(parser.parse_args(argv).idle)


if __name__ == "__main__":
    sys.exit(serve(_arguments()))
