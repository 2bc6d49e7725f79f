"""`secrets set` on a terminal prompts without echo; piped stdin still works."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

STAGEWARD = str(Path(sys.executable).parent / "stageward")
TYPED = "typed-s3cr3t-never-echoed"


def _environ() -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("STAGEWARD_")}
    environ["STAGEWARD_USER"] = "alice"
    return environ


def _read_until(fd: int, marker: bytes | None, seen: bytearray, timeout: float = 30) -> None:
    """Read the terminal into SEEN until MARKER appears, or (MARKER None) until the child closes it."""
    deadline = time.monotonic() + timeout
    while marker is None or marker not in seen:
        assert time.monotonic() < deadline, f"no {marker!r} in {bytes(seen)!r}"
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(fd, 1024)
            except OSError:  # EIO: the child closed the terminal
                return
            if not chunk:
                return
            seen += chunk


def test_on_a_terminal_the_value_is_prompted_for_and_never_echoed(tmp_path: Path):
    assert subprocess.run([STAGEWARD, "init", "--project", "lp-x"], cwd=tmp_path, env=_environ()).returncode == 0
    pid, terminal = pty.fork()
    if pid == 0:  # the child: its stdin, stdout and stderr are the terminal
        os.chdir(tmp_path)
        os.execve(STAGEWARD, [STAGEWARD, "secrets", "set", "TOKEN", "--env", "production"], _environ())
    seen = bytearray()
    _read_until(terminal, b"(not echoed): ", seen)
    assert seen.decode().strip() == "value of TOKEN (not echoed):"
    os.write(terminal, f"{TYPED}\n".encode())
    _read_until(terminal, None, seen)
    _, status = os.waitpid(pid, 0)
    os.close(terminal)
    assert os.waitstatus_to_exitcode(status) == 0, seen.decode(errors="replace")
    assert TYPED not in seen.decode(errors="replace")
    assert "set TOKEN in production (project:lp-x): version 1" in seen.decode()
    stored = subprocess.run(
        [STAGEWARD, "secrets", "get", "TOKEN", "--env", "production"],
        cwd=tmp_path,
        env=_environ(),
        capture_output=True,
        text=True,
    )
    assert stored.stdout == TYPED


def test_piped_stdin_still_works_for_scripts(tmp_path: Path):
    assert subprocess.run([STAGEWARD, "init", "--project", "lp-x"], cwd=tmp_path, env=_environ()).returncode == 0
    value_file = tmp_path / "value"
    value_file.write_text("from-a-file\n")
    with value_file.open() as handle:
        piped = subprocess.run(
            [STAGEWARD, "secrets", "set", "TOKEN", "--env", "production"],
            cwd=tmp_path,
            env=_environ(),
            stdin=handle,
            capture_output=True,
            text=True,
        )
    assert piped.returncode == 0 and piped.stderr == ""
    stored = subprocess.run(
        [STAGEWARD, "secrets", "get", "TOKEN", "--env", "production"],
        cwd=tmp_path,
        env=_environ(),
        capture_output=True,
        text=True,
    )
    assert stored.stdout == "from-a-file"  # one trailing newline dropped
