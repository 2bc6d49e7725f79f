"""Where the warm launcher listens, and the frames its caller and it exchange (stdlib only: the caller's side
must cost next to nothing on a cold start).

The socket lives in a folder only its user can enter: `$XDG_RUNTIME_DIR/stageward` when that runtime folder is
the user's, else `<tmp>/stageward-<uid>`. A folder there that is a link, another user's, or open to group or
others is never used (someone else could have planted it or could connect), which makes the caller start cold.
One warm launcher serves one installation: its socket's name hashes the interpreter, PYTHONPATH and the folder
Stageward is imported from, so two virtualenvs or two checkouts never share one.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import stat
import struct
import sys
from pathlib import Path
from typing import Any

_LENGTH = struct.Struct(">I")
_UCRED = struct.Struct("3i")  # struct ucred: pid, uid, gid (Linux)
MAX_FRAME = 4 * 1024 * 1024  # a request carries argv and the environment: far below this; more is hostile
STDIO = (0, 1, 2)


class Unusable(Exception):
    """The launcher's folder cannot be trusted or made; the message says which folder and why."""


def installation_key() -> str:
    import stageward

    parts = (
        os.path.realpath(sys.executable),
        os.environ.get("PYTHONPATH", ""),
        os.path.dirname(os.path.realpath(stageward.__file__)),
    )
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:16]


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
    if not stat.S_ISDIR(info.st_mode):
        raise Unusable(f"{path}: not a folder (a link or a file); remove it or set XDG_RUNTIME_DIR")
    if info.st_uid != uid:
        raise Unusable(f"{path}: owned by uid {info.st_uid}, not by you ({uid}); remove it or set XDG_RUNTIME_DIR")
    if info.st_mode & 0o077:
        raise Unusable(f"{path}: open to group or others (mode {stat.S_IMODE(info.st_mode):o}); it must be 0700")
    return path


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


def identity() -> dict[str, Any]:
    """What a forked launcher cannot take over from its caller, so must share with it: groups and namespaces."""
    namespaces = {}
    for name in ("mnt", "pid", "net", "user", "ipc", "uts"):
        try:
            namespaces[name] = os.readlink(f"/proc/self/ns/{name}")
        except OSError:
            namespaces[name] = ""
    return {"groups": sorted(os.getgroups()), "namespaces": namespaces}


def encode(message: dict[str, Any]) -> bytes:
    body = json.dumps(message, separators=(",", ":")).encode()
    return _LENGTH.pack(len(body)) + body


def read_exactly(sock: socket.socket, size: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = sock.recv(size - len(chunks))
        if not chunk:
            raise EOFError("the other end closed the connection")
        chunks += chunk
    return bytes(chunks)


def read_body(sock: socket.socket, head: bytes) -> dict[str, Any]:
    """The frame whose first bytes (all or part of the length) are HEAD."""
    head += read_exactly(sock, _LENGTH.size - len(head)) if len(head) < _LENGTH.size else b""
    (size,) = _LENGTH.unpack(head[: _LENGTH.size])
    if size > MAX_FRAME:
        raise ValueError(f"a frame of {size} bytes (at most {MAX_FRAME})")
    message = json.loads(read_exactly(sock, size))
    if not isinstance(message, dict):
        raise ValueError("a frame that is not a JSON object")
    return message


def read_frame(sock: socket.socket) -> dict[str, Any]:
    return read_body(sock, b"")


def send_with_stdio(sock: socket.socket, message: dict[str, Any]) -> None:
    """MESSAGE, with this process's stdin, stdout and stderr passed along (SCM_RIGHTS) on its first bytes."""
    frame = encode(message)
    sent = socket.send_fds(sock, [frame[: _LENGTH.size]], list(STDIO))
    sock.sendall(frame[sent:])


def receive_with_stdio(sock: socket.socket) -> tuple[dict[str, Any], list[int]]:
    head, fds, flags, _ = socket.recv_fds(sock, _LENGTH.size, len(STDIO))
    if flags & socket.MSG_CTRUNC or len(fds) != len(STDIO):
        for descriptor in fds:
            os.close(descriptor)
        raise ValueError("a request without exactly three standard streams")
    try:
        if not head:
            raise EOFError("the other end closed the connection")
        return read_body(sock, head), fds
    except BaseException:
        for descriptor in fds:
            os.close(descriptor)
        raise
