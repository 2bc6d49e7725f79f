"""The local executor: the command in a process group of its own on this machine.

- Signals: SIGINT or SIGTERM to the launcher is forwarded to the whole group; a group still alive after the grace
  period is killed (SIGKILL). The run then ends `cancelled`.
- The launcher becomes a child subreaper, so descendants orphaned inside the run are reparented to it; when the
  command ends, what is left of its process group is killed and every process of it reaped. CPU seconds are the
  sum of the reaped processes' rusage: the whole tree, grandchildren included (a process that leaves the group
  with setsid() escapes both the kill and the count).
- The command dies with its launcher (PR_SET_PDEATHSIG), and its config is a memfd held by the launcher
  (configfile.py): a launcher killed with SIGKILL leaves neither a process nor a config file behind; the store
  finds the run `lost` when its heartbeat stops.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

from stageward.runs.executors import CommandNotFound, Launch, Outcome, Sink
from stageward.runs.executors.configfile import ConfigFile

_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36
_READ_SIZE = 1 << 16
# Variables of the launcher a run never inherits: the master key's value (a secret in an environment variable is
# readable in /proc by the run and all it starts) and a config path of another run. A key *file* is the machine's
# (local mode trusts it, SPEC §2): its path is passed on, so the SDK inside a run reaches the store as the launcher.
WITHHELD = ("STAGEWARD_MASTER_KEY", "STAGEWARD_CONFIG")


@functools.cache
def _libc() -> ctypes.CDLL | None:
    """The C library, loaded once and before any fork: `CDLL(None)` is the process's own symbols, libc's among
    them. (ctypes.util.find_library runs `ldconfig -p`, a subprocess, on every call: in a preexec_fn, between
    fork and exec, that is both slow and unsafe.)"""
    if not sys.platform.startswith("linux"):
        return None
    return ctypes.CDLL(None, use_errno=True)


def _die_with_parent() -> None:  # runs in the child between fork and exec
    libc = _libc()
    if libc is not None:
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _become_subreaper() -> None:
    libc = _libc()
    if libc is not None:
        libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def _group_members(group: int) -> list[int]:
    """Processes (zombies included) whose process group is GROUP, read from /proc."""
    members: list[int] = []
    proc = Path("/proc")
    if not proc.is_dir():
        return members
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 2 and fields[2] == str(group):
            members.append(int(entry.name))
    return members


def _signal_group(group: int, number: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(group, number)


def _cpu(usage: object) -> float:
    return float(getattr(usage, "ru_utime", 0.0)) + float(getattr(usage, "ru_stime", 0.0))


class LocalExecutor:
    def execute(self, launch: Launch, sink: Sink) -> Outcome:
        environ = {k: v for k, v in launch.base_environ.items() if k not in WITHHELD}
        with ConfigFile(launch.config) as config:
            environ.update(launch.variables)
            environ["STAGEWARD_CONFIG"] = config.path
            _become_subreaper()
            try:
                child = subprocess.Popen(
                    launch.command,
                    cwd=launch.workdir,
                    env=environ,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    preexec_fn=_die_with_parent,
                )
            except (FileNotFoundError, PermissionError, NotADirectoryError) as exc:
                raise CommandNotFound(f"{launch.command[0]}: {exc.strerror or type(exc).__name__}") from None
            return _Watch(child, launch, sink).until_done()


class _Watch:
    """Pumps output, beats the heart, forwards a stop, and reaps the whole tree of one child."""

    def __init__(self, child: subprocess.Popen[bytes], launch: Launch, sink: Sink) -> None:
        self.child = child
        self.launch = launch
        self.sink = sink
        self.group = child.pid
        self.last_beat = time.monotonic()
        self.stop_sent_at: float | None = None
        self.killed = False
        self.cpu = 0.0

    def _tend(self) -> None:
        now = time.monotonic()
        if now - self.last_beat >= self.launch.heartbeat_seconds:
            self.sink.heartbeat()
            self.last_beat = now
        number = self.sink.cancel_signal()
        if number is not None and self.stop_sent_at is None:
            _signal_group(self.group, number)
            self.stop_sent_at = now
        elif self.stop_sent_at is not None and not self.killed and now - self.stop_sent_at >= self.launch.grace_seconds:
            _signal_group(self.group, signal.SIGKILL)
            self.killed = True

    def _pump(self) -> None:
        assert self.child.stdout is not None
        descriptor = self.child.stdout.fileno()
        while True:
            ready, _, _ = select.select([descriptor], [], [], 0.1)
            if ready:
                data = os.read(descriptor, _READ_SIZE)
                if not data:
                    return
                self.sink.output(data)
            self._tend()

    def _wait_main(self) -> int:
        while True:
            pid, status, usage = os.wait4(self.child.pid, os.WNOHANG)
            if pid:
                self.cpu += _cpu(usage)
                self.child.returncode = os.waitstatus_to_exitcode(status)
                return self.child.returncode
            self._tend()
            time.sleep(0.02)

    def _reap_group(self) -> None:
        # The command is done: what it left running in its group ends with it, and every process reparented to
        # us is reaped so its CPU time counts.
        _signal_group(self.group, signal.SIGKILL)
        for _ in range(50):
            members = _group_members(self.group)
            if not members:
                return
            for pid in members:
                try:
                    found, _, usage = os.wait4(pid, os.WNOHANG)
                except ChildProcessError:
                    continue  # not ours to reap (a member that was never orphaned to us)
                if found:
                    self.cpu += _cpu(usage)
            time.sleep(0.01)

    def until_done(self) -> Outcome:
        try:
            self._pump()
            code = self._wait_main()
        finally:
            if self.child.returncode is None:  # the launcher itself is failing: take the run down with it
                _signal_group(self.group, signal.SIGKILL)
                self.child.wait()
            if self.child.stdout is not None:
                self.child.stdout.close()
        self._reap_group()
        status = "cancelled" if self.sink.cancel_signal() is not None else "succeeded" if code == 0 else "failed"
        note = "killed after the grace period" if self.killed else None
        return Outcome(status=status, exit_code=code, cpu_seconds=round(self.cpu, 6), note=note)
