"""Usage errors in one or two plain lines (SPEC §11), exit 2; they were click's four-line Usage/Try/Error block."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

STAGEWARD = str(Path(sys.executable).parent / "stageward")


@pytest.mark.parametrize(
    ("args", "first", "second"),
    [
        (["access", "grant", "bob"], "error: Missing argument 'role'.", "  hint: stageward access grant --help"),
        (
            ["audit", "list", "--limit", "abc"],
            "error: Invalid value for '--limit'",
            "  hint: stageward audit list --help",
        ),
        (["access", "nope"], "error: No such command 'nope'.", "  hint: stageward access --help"),
    ],
)
def test_usage_errors_are_two_lines(tmp_path: Path, args: list[str], first: str, second: str):
    environ = {k: v for k, v in os.environ.items() if not k.startswith("STAGEWARD_")}
    environ["STAGEWARD_USER"] = "alice"
    result = subprocess.run([STAGEWARD, *args], cwd=tmp_path, env=environ, capture_output=True, text=True)
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 2, result.stderr
    assert lines[0].startswith(first) and lines[1] == second
