"""Tables never hide data: piped, or on a terminal 80 columns wide, no value is cut to "…"; a value that
does not fit wraps, and the file:line of `config show --explain` is never broken."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest

# Its tests share one store made by a module-scoped fixture, and so the configuration folder holding its key.
pytestmark = pytest.mark.shared_config_home

STAGEWARD = str(Path(sys.executable).parent / "stageward")
LONG_URL = "postgresql://production-database.internal.example.com:5432/crosssell_features_and_more"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _environ(**extra: str) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("STAGEWARD_")}
    environ.update({"STAGEWARD_USER": "alice", "COLUMNS": "80", **extra})
    return environ


def run(*args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """ARGS with stdout piped (not a terminal) and COLUMNS=80."""
    return subprocess.run(
        [STAGEWARD, *args], cwd=cwd, env=_environ(), capture_output=True, text=True, input=stdin, timeout=60
    )


def run_on_terminal(*args: str, cwd: Path) -> str:
    """ARGS with stdout on a pseudo-terminal 80 columns wide; what it printed, colours removed."""
    leader, follower = pty.openpty()
    try:
        process = subprocess.Popen(
            [STAGEWARD, *args], cwd=cwd, env=_environ(TERM="xterm"), stdout=follower, stderr=subprocess.PIPE
        )
        os.close(follower)
        chunks: list[bytes] = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the other end closed: Linux reports EIO
                break
            if not chunk:
                break
            chunks.append(chunk)
        assert process.wait(timeout=60) == 0, process.stderr.read() if process.stderr else ""
    finally:
        os.close(leader)
    return ANSI.sub("", b"".join(chunks).decode()).replace("\r\n", "\n")


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project with a production secret, a long config value, and lp-model promoted development -> staging."""
    root = tmp_path_factory.mktemp("whole-output")
    ok(run("init", "--project", "lp-crosssell", "--team", "lp", cwd=root))
    ok(run("secrets", "set", "DB_PASSWORD", "--env", "production", cwd=root, stdin="pg-value\n"))
    with (root / "conf" / "production" / "main.yaml").open("a", encoding="utf-8") as handle:
        handle.write(f"db:\n  password: ${{secret:DB_PASSWORD}}\n  url: {LONG_URL}\n")
    (root / "model").mkdir()
    (root / "model" / "weights.bin").write_bytes(b"12345678")
    ok(run("model", "register", "lp-model", "model", "--env", "development", "--metric", "auc=0.9", cwd=root))
    promoted = ok(run("promote", "lp-model", "1", "--from", "development", "--to", "staging", cwd=root))
    assert "executed" in promoted
    return root


# Each command with the values it must print whole.
COMMANDS = [
    (
        ["config", "show", "--env", "production", "--explain"],
        ["${secret:DB_PASSWORD}", "conf/base/main.yaml:3", "conf/production/main.yaml:2", "training.batch_size"],
    ),
    (["secrets", "list"], ["DB_PASSWORD", "production", "project:lp-crosssell", "updated by"]),
    (["promotion", "list"], ["executed", "development/lp-model:1", "staging/lp-model:1", "required approvals"]),
]


@pytest.mark.parametrize(("args", "values"), COMMANDS, ids=lambda v: " ".join(v[:2]))
def test_piped_tables_print_whole_lines(project: Path, args: list[str], values: list[str]):
    out = ok(run(*args, cwd=project))
    assert "…" not in out
    for value in values:
        assert value in out, value
    if args[:2] == ["config", "show"]:
        assert LONG_URL in out


def test_a_piped_record_prints_whole_lines(project: Path):
    out = ok(run("plan", "lp-model", "1", "--from", "development", "--to", "staging", cwd=project))
    assert "…" not in out
    assert "the new version references the same 1 blob(s) in file://" in out
    assert "promote would execute at once" in out
    # Whole lines, and no more: a short line is not padded out to the longest one (a diff or a grep of the
    # output sees what is there).
    lines = out.splitlines()
    assert lines and all(line == line.rstrip() for line in lines)
    shown = ok(run("env", "show", "staging", cwd=project)).splitlines()
    assert all(line == line.rstrip() for line in shown) and min(map(len, shown)) < max(map(len, shown))


def _column_texts(out: str) -> list[str]:
    """Each column of a Rich table, its header's and its cells' pieces joined top to bottom, spaces removed.

    A value wrapped or folded over several lines joins back whole; one cut to an ellipsis does not.
    """
    rows = [line for line in out.splitlines() if line[:1] in ("│", "┃")]
    texts: list[str] = []
    for line in rows:
        cells = re.split("[│┃]", line)[1:-1]
        texts += [""] * (len(cells) - len(texts))
        for index, cell in enumerate(cells):
            texts[index] += cell.replace(" ", "")
    return texts


@pytest.mark.parametrize(("args", "values"), COMMANDS, ids=lambda v: " ".join(v[:2]))
def test_tables_on_an_80_column_terminal_wrap_and_never_cut(project: Path, args: list[str], values: list[str]):
    out = run_on_terminal(*args, cwd=project)
    assert "…" not in out
    assert max(len(line) for line in out.splitlines()) <= 80  # wrapped to fit, not widened
    columns = _column_texts(out)
    for value in values:
        assert any(value.replace(" ", "") in column for column in columns), (value, out)
    if args[:2] == ["config", "show"]:
        assert any(LONG_URL in column for column in columns)
        # The origin column is never broken: each file:line sits whole on one line.
        for origin in ("conf/base/main.yaml:3", "conf/production/main.yaml:6", "conf/production/main.yaml:7"):
            assert origin in out, origin
