"""Where the warm launcher listens, and the frames its caller and it exchange (stdlib only: the caller's side
must cost next to nothing on a cold start).

The socket lives in a folder only its user can enter: `$XDG_RUNTIME_DIR/stageward` when that runtime folder is
the user's, else `<tmp>/stageward-<uid>`. A folder there that is a link, another user's, or open to group or
others is never used (someone else could have planted it or could connect), which makes the caller start cold.
One warm launcher serves one installation: its socket's name hashes the interpreter, the folder Stageward is
imported from and what the interpreter settles at its start (PYTHON* variables, the locale's character type), so
two virtualenvs, two checkouts or two interpreter settings never share one.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import stat
import struct
import sys
import time
from pathlib import Path
from typing import Any

_LENGTH = struct.Struct(">I")
_UCRED = struct.Struct("3i")  # struct ucred: pid, uid, gid (Linux)
REQUEST_SECONDS = 2.0  # how long a caller may take to send a request it sends in one go
# What a cold launcher handles, so what the caller forwards to its forked launcher; any other signal kills the
# caller, and the forked launcher dies with it, as a cold one would.
FORWARDED = (signal.SIGINT, signal.SIGTERM)
MAX_FRAME = 4 * 1024 * 1024  # a request carries argv and the environment: far below this; more is hostile
STDIO = (0, 1, 2)


class Unusable(Exception):
    """The launcher's folder cannot be trusted or made; the message says which folder and why."""


# What an interpreter settles once, at its start, from the environment: the PYTHON* variables (where modules come
# from, warnings, UTF-8 mode, optimisation) and the locale's character type (the encoding of files and names).
# A caller whose values differ from the warm launcher's would not be run as it would run cold: it meets another.
_AT_START = ("LC_ALL", "LC_CTYPE", "LANG")


def installation_key() -> str:
    import stageward

    settled = sorted((key, value) for key, value in os.environ.items() if key.startswith("PYTHON") or key in _AT_START)
    parts = (
        os.path.realpath(sys.executable),
        os.path.dirname(os.path.realpath(stageward.__file__)),
        *(f"{key}={value}" for key, value in settled),
    )
    return hashlib.sha256("\0".join(parts).encode(errors="surrogateescape")).hexdigest()[:16]


def folder(create: bool = False) -> Path:
    """The user's private folder for the launcher's socket, checked (and made, 0700, when CREATE)."""
    uid = os.getuid()
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    base: Path | None = None
    if runtime and os.path.isabs(runtime):
        try:
            info = os.stat(runtime)
        except OSError:
            info = None
        if info is not None and stat.S_ISDIR(info.st_mode) and info.st_uid == uid:
            base = Path(runtime) / "stageward"
    temporary = os.environ.get("TMPDIR") or "/tmp"  # the folder made below is checked: ours, 0700, not a link
    path = base or Path(temporary if os.path.isabs(temporary) else "/tmp") / f"stageward-{uid}"
    if create:
        try:
            path.mkdir(mode=0o700)
        except FileExistsError:
            pass
        except OSError as exc:
            raise Unusable(f"{path}: cannot create the warm launcher's folder ({exc.strerror})") from None
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        raise Unusable(f"{path}: no warm launcher folder") from None
    _checked(path, info)
    return path


def _checked(path: Path, info: os.stat_result) -> None:
    uid = os.getuid()
    if not stat.S_ISDIR(info.st_mode):
        raise Unusable(f"{path}: not a folder (a link or a file); remove it or set XDG_RUNTIME_DIR")
    if info.st_uid != uid:
        raise Unusable(f"{path}: owned by uid {info.st_uid}, not by you ({uid}); remove it or set XDG_RUNTIME_DIR")
    if info.st_mode & 0o077:
        raise Unusable(f"{path}: open to group or others (mode {stat.S_IMODE(info.st_mode):o}); it must be 0700")


def open_private(path: Path, flags: int) -> int:
    """A descriptor on the file PATH in the launcher's folder, made 0600 if absent, that is this user's own.

    The folder is checked through its own descriptor and the file opened relative to it without following a
    link: where the folder's parent lets others rename entries (a TMPDIR without the sticky bit), the folder
    checked by name could be swapped for a link between the check and the open, and a link planted as the file
    would make O_TRUNC empty a file of the user's choosing elsewhere."""
    try:
        parent = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as exc:
        raise Unusable(f"{path.parent}: cannot open the warm launcher's folder ({exc.strerror})") from None
    try:
        _checked(path.parent, os.fstat(parent))
        try:
            descriptor = os.open(path.name, flags | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600, dir_fd=parent)
        except OSError as exc:
            raise Unusable(f"{path}: cannot open ({exc.strerror}); remove it") from None
    finally:
        os.close(parent)
    info = os.fstat(descriptor)
    if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid() or info.st_nlink != 1:
        os.close(descriptor)
        raise Unusable(f"{path}: not a file of yours alone (a link, another's, or a special file); remove it")
    return descriptor


_SUN_PATH = 107  # sockaddr_un.sun_path is 108 bytes on Linux, the last a NUL


def socket_path(create: bool = False) -> Path:
    path = folder(create) / f"launcher-{installation_key()}.sock"
    if len(os.fsencode(path)) > _SUN_PATH:
        raise Unusable(f"{path}: too long for a socket ({len(os.fsencode(path))} bytes, at most {_SUN_PATH})")
    return path


def peer(sock: socket.socket) -> tuple[int, int, int]:
    """The (pid, uid, gid) of the process at the other end, as the kernel knows it."""
    return _UCRED.unpack(sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _UCRED.size))


def same_user(sock: socket.socket) -> bool:
    _, uid, gid = peer(sock)
    return uid == os.getuid() and gid == os.getgid()


# What a forked launcher cannot take over from its caller, so must share with it. Read from /proc, never from the
# caller's words: a caller confined by its own choice or its parent's (capabilities dropped, no_new_privs, a
# seccomp filter, an LSM profile, other groups or namespaces) must not get an unconfined process by asking.
_STATUS_FIELDS = (
    "Uid", "Gid", "Groups", "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs", "Seccomp",
    "Seccomp_filters",
)  # fmt: skip
_NAMESPACES = ("mnt", "pid", "net", "user", "ipc", "uts", "cgroup", "time")


def identity(pid: int | str = "self") -> dict[str, str]:
    """The credentials and confinement of process PID as the kernel shows them; OSError when it cannot be read
    (a process gone, or one that hides itself), which the launcher takes as "not the same"."""
    found: dict[str, str] = {}
    with open(f"/proc/{pid}/status", encoding="utf-8", errors="replace") as status:
        for line in status:
            name, _, value = line.partition(":")
            if name in _STATUS_FIELDS:
                found[name] = " ".join(value.split())
    for name in _NAMESPACES:
        try:
            found[f"ns/{name}"] = os.readlink(f"/proc/{pid}/ns/{name}")
        except FileNotFoundError:  # a kernel without this namespace type: the same for both ends
            found[f"ns/{name}"] = ""
    try:
        with open(f"/proc/{pid}/attr/current", "rb") as label:
            found["lsm"] = label.read().decode(errors="replace").strip("\0\n")
    except OSError:  # no LSM that labels processes (EINVAL): nothing to differ on
        found["lsm"] = ""
    # Not confinement to be equal, but what the fork takes over (its cgroups: warm_cgroup.py; its I/O priority):
    # read here, pinned to the caller with the rest.
    try:
        with open(f"/proc/{pid}/cgroup", encoding="utf-8", errors="surrogateescape") as groups:
            found[CGROUP] = groups.read()
    except FileNotFoundError:  # a kernel built without cgroups: no group to join
        found[CGROUP] = ""
    found[IO_PRIORITY] = str(io_priority(os.getpid() if pid == "self" else int(pid)))
    return found


CGROUP, IO_PRIORITY = "cgroup", "ioprio"


def confinement(found: dict[str, str]) -> dict[str, str]:
    """What of an identity must be the launcher's own for it to fork the run: all but what the fork takes over."""
    return {name: value for name, value in found.items() if name not in (CGROUP, IO_PRIORITY)}


# ioprio_get and ioprio_set (`ionice`), which Python's os module lacks, by their syscall numbers; elsewhere the
# fork keeps the warm launcher's I/O priority (docs/runs.md).
_IOPRIO_SYSCALLS = {"x86_64": (252, 251), "aarch64": (31, 30), "riscv64": (31, 30)}
_IOPRIO_WHO_PROCESS = 1


def _ioprio_call(index: int, *arguments: int) -> int:
    import ctypes

    numbers = _IOPRIO_SYSCALLS.get(os.uname().machine)
    if numbers is None:
        return -1
    return int(ctypes.CDLL(None, use_errno=True).syscall(numbers[index], _IOPRIO_WHO_PROCESS, *arguments))


def io_priority(pid: int) -> int:
    """The I/O class and level of process PID, as ioprio_get answers them (-1 where it cannot be read)."""
    return _ioprio_call(0, pid)


def set_io_priority(value: int) -> None:
    """Best effort, as niceness: a class only a privilege allows (realtime) stays the warm launcher's."""
    if value >= 0:
        _ioprio_call(1, 0, value)


_SO_PEERPIDFD = getattr(socket, "SO_PEERPIDFD", 77)  # Linux 6.5; Python 3.11 does not name it


def peer_identity(sock: socket.socket) -> dict[str, str] | None:
    """The identity of the process that connected SOCK, or None when it cannot be told for sure.

    The pid SO_PEERCRED gives may belong to another process by the time /proc is read (the caller exits and its
    pid is reused), so the read is pinned to the caller with a pidfd: still alive after the read, the pid was
    still the caller's during it."""
    pid, _, _ = peer(sock)
    if pid <= 0:
        return None  # a caller in a pid namespace this process cannot see
    try:
        pidfd = sock.getsockopt(socket.SOL_SOCKET, _SO_PEERPIDFD)
    except OSError:  # an older kernel: the pidfd taken now pins the pid from here on
        try:
            pidfd = os.pidfd_open(pid)
        except OSError:
            return None
    try:
        found = identity(pid)
        signal.pidfd_send_signal(pidfd, 0)
    except OSError:
        return None
    finally:
        os.close(pidfd)
    return found


def encode(message: dict[str, Any]) -> bytes:
    body = json.dumps(message, separators=(",", ":")).encode()
    return _LENGTH.pack(len(body)) + body


def _before(sock: socket.socket, deadline: float | None) -> None:
    """Each receive waits only for what is left of DEADLINE (a monotonic time): a peer that trickles one byte at
    a time must not hold the other end longer than a peer that says nothing (socket.timeout is an OSError)."""
    if deadline is not None:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the other end took too long")
        sock.settimeout(left)


def read_exactly(sock: socket.socket, size: int, deadline: float | None = None) -> bytes:
    chunks = bytearray()
    while len(chunks) < size:
        _before(sock, deadline)
        chunk = sock.recv(size - len(chunks))
        if not chunk:
            raise EOFError("the other end closed the connection")
        chunks += chunk
    return bytes(chunks)


def read_body(sock: socket.socket, head: bytes, deadline: float | None = None) -> dict[str, Any]:
    """The frame whose first bytes (all or part of the length) are HEAD."""
    head += read_exactly(sock, _LENGTH.size - len(head), deadline) if len(head) < _LENGTH.size else b""
    (size,) = _LENGTH.unpack(head[: _LENGTH.size])
    if size > MAX_FRAME:
        raise ValueError(f"a frame of {size} bytes (at most {MAX_FRAME})")
    try:
        message = json.loads(read_exactly(sock, size, deadline))
    except RecursionError:  # `[[[[...` nested past the interpreter's stack: a bad frame, not a reason to end
        raise ValueError("a frame nested too deep") from None
    if not isinstance(message, dict):
        raise ValueError("a frame that is not a JSON object")
    return message


def read_frame(sock: socket.socket, deadline: float | None = None) -> dict[str, Any]:
    return read_body(sock, b"", deadline)


def send_with_stdio(sock: socket.socket, message: dict[str, Any]) -> None:
    """MESSAGE, with this process's stdin, stdout and stderr passed along (SCM_RIGHTS) on its first bytes."""
    frame = encode(message)
    sent = socket.send_fds(sock, [frame[: _LENGTH.size]], list(STDIO))
    sock.sendall(frame[sent:])


def receive_with_stdio(sock: socket.socket, deadline: float | None = None) -> tuple[dict[str, Any], list[int]]:
    _before(sock, deadline)
    head, fds, flags, _ = socket.recv_fds(sock, _LENGTH.size, len(STDIO))
    if flags & socket.MSG_CTRUNC or len(fds) != len(STDIO):
        for descriptor in fds:
            os.close(descriptor)
        raise ValueError("a request without exactly three standard streams")
    try:
        if not head:
            raise EOFError("the other end closed the connection")
        return read_body(sock, head, deadline), fds
    except BaseException:
        for descriptor in fds:
            os.close(descriptor)
        raise
