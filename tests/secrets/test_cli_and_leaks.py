"""The secrets and keys commands as a user meets them, and a canary value that must never come out anywhere."""

from __future__ import annotations

import json
import logging
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from stageward.secrets.envelope import generate_master_key
from tests.secrets.conftest import CANARY

STAGEWARD = str(Path(sys.executable).parent / "stageward")


def run(*args: str, cwd: Path, user: str = "alice", stdin: str | bytes | None = None, **env: str):
    environ = {k: v for k, v in os.environ.items() if not k.startswith("STAGEWARD_")}
    environ.update({"STAGEWARD_USER": user, **env})
    return subprocess.run(
        [STAGEWARD, *args],
        cwd=cwd,
        env=environ,
        capture_output=True,
        input=stdin,
        timeout=60,
        text=not isinstance(stdin, bytes),
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    assert run("init", "--project", "lp-crosssell", "--team", "lp", cwd=tmp_path).returncode == 0
    assert run("env", "list", cwd=tmp_path).returncode == 0  # alice creates the store
    return tmp_path


def _key_file(project: Path) -> Path:
    """Where the CLI keeps the project's master key: the test's own config folder, not beside the database."""
    from stageward.service.keyring import master_key_file
    from stageward.testing import make_context

    where = master_key_file(make_context(project))
    assert not where.is_relative_to(project / ".stageward")
    return where


def _error(result, code: int) -> str:
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert 1 <= len(lines) <= 2 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


def _store_bytes(project: Path) -> bytes:
    folder = project / ".stageward"
    return b"".join(p.read_bytes() for p in folder.iterdir() if p.is_file() and p.name.startswith("stageward.db"))


def test_the_canary_never_leaves_except_through_get(project: Path):
    outputs: list[str] = []

    def keep(result) -> None:
        outputs.append(result.stdout + result.stderr)

    made = run(
        "secrets",
        "set",
        "DB_PASSWORD",
        "--env",
        "production",
        "--expires-in",
        "30d",
        "--json",
        cwd=project,
        stdin=CANARY + "\n",
    )
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout)["version"] == 1
    keep(made)
    keep(run("secrets", "set", "DB_PASSWORD", "--env", "production", cwd=project, stdin=CANARY + "-v2"))
    for args in (
        ("secrets", "list", "--json"),
        ("secrets", "list"),
        ("secrets", "history", "DB_PASSWORD", "--env", "production", "--json"),
        ("secrets", "rotate", "--expiring-within", "60d", "--json"),
        ("audit", "list", "--json"),
        ("audit", "export"),
    ):
        result = run(*args, cwd=project)
        assert result.returncode == 0, (args, result.stderr)
        keep(result)
    got = run("secrets", "get", "DB_PASSWORD", "--env", "production", cwd=project)
    assert got.returncode == 0 and got.stdout == CANARY + "-v2"  # exactly the value, for pipes
    # Errors while the canary is on stdin or in the store.
    keep(run("secrets", "set", "db/password", "--env", "production", cwd=project, stdin=CANARY))
    keep(run("secrets", "set", "X", "--env", "production", "--expires-in", "soon", cwd=project, stdin=CANARY))
    keep(run("secrets", "get", "DB_PASSWORD", "--env", "production", cwd=project, user="bob"))
    keep(
        run(
            "secrets",
            "get",
            "DB_PASSWORD",
            "--env",
            "production",
            cwd=project,
            STAGEWARD_MASTER_KEY=generate_master_key(),
        )
    )
    keep(
        run(
            "secrets",
            "set",
            "DB_PASSWORD",
            "--env",
            "production",
            cwd=project,
            STAGEWARD_DEBUG="1",
            stdin=CANARY + "-v3",
        )
    )
    keep(run("secrets", "get", "NOPE", "--env", "production", cwd=project, STAGEWARD_DEBUG="1"))
    traced = run("secrets", "set", "bad/name", "--env", "production", cwd=project, STAGEWARD_DEBUG="1", stdin=CANARY)
    assert "Traceback" in traced.stderr  # debug mode shows the traceback, and still not the value
    keep(traced)
    for text in outputs:
        assert CANARY not in text, text
    assert CANARY.encode() not in _store_bytes(project)
    key_file = _key_file(project)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_debug_logging_never_carries_a_value(sw, caplog: pytest.LogCaptureFixture):
    logging.getLogger("sqlalchemy.engine").setLevel(logging.DEBUG)  # statements and their parameters
    try:
        with caplog.at_level(logging.DEBUG):
            alice = sw("alice")
            alice.call("secrets.set", env="production", name="DB_PASSWORD", value=CANARY)
            alice.call("secrets.get", env="production", name="DB_PASSWORD")
            alice.call("secrets.list")
    finally:
        logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
    assert any("INSERT INTO secret_versions" in r.getMessage() for r in caplog.records)  # logging was on
    assert all(CANARY not in r.getMessage() for r in caplog.records)


def _processes_showing(text: str) -> list[str]:
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        for part in ("cmdline", "environ"):
            try:
                if text.encode() in (proc / part).read_bytes():
                    found.append(f"{proc.name}/{part}")
            except OSError:
                continue
    return found


def test_the_value_never_shows_in_the_process_list(project: Path):
    environ = {k: v for k, v in os.environ.items() if not k.startswith("STAGEWARD_")}
    environ["STAGEWARD_USER"] = "alice"
    process = subprocess.Popen(
        [STAGEWARD, "secrets", "set", "DB_PASSWORD", "--env", "production"],
        cwd=project,
        env=environ,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdin is not None
    seen: list[str] = []
    time.sleep(0.3)  # it is up and waiting for stdin
    seen += _processes_showing(CANARY)
    process.stdin.write(CANARY.encode())
    process.stdin.close()
    while process.poll() is None:
        seen += _processes_showing(CANARY)
    assert process.returncode == 0, process.stderr.read() if process.stderr else ""
    assert seen == []


@pytest.mark.parametrize(
    ("args", "stdin", "code", "message"),
    [
        (("secrets", "set", "EMPTY", "--env", "production"), "", 2, "error: secret value is empty"),
        (("secrets", "set", "EMPTY", "--env", "production"), "\n", 2, "error: secret value is empty"),
        (
            ("secrets", "set", "BIG", "--env", "production"),
            "x" * 70_000,
            2,
            "error: secret value on stdin is more than 65536 bytes (64 KiB), the limit",
        ),
        (
            ("secrets", "set", "a/b", "--env", "production"),
            "v",
            2,
            "error: secret name 'a/b': contains '/'; expected letters, digits",
        ),
        (
            ("secrets", "set", "zero\u200bwidth", "--env", "production"),
            "v",
            2,
            "error: secret name 'zero\\u200bwidth': contains U+200B (zero width space)",
        ),
        (("secrets", "set", "X", "--env", "prod"), "v", 4, "error: no environment 'prod'"),
        (("secrets", "get", "NOPE", "--env", "production"), None, 4, "error: no secret NOPE in production"),
        (
            ("secrets", "set", "X", "--env", "production", "--rotate-with", "random:4"),
            "v",
            2,
            "error: --rotate-with 'random:4': expected random:N with N from 16 to 4096",
        ),
        (
            ("keys", "create", "--principal", "spn:ci", "--env", "development", "--ttl", "1y"),
            None,
            2,
            "error: --ttl '1y': expected a number and a unit",
        ),
        (("keys", "revoke", "sw_development_nothere"), None, 4, "error: no API key sw_development_nothere"),
    ],
)
def test_errors_a_user_can_hit(project: Path, args, stdin, code: int, message: str):
    assert _error(run(*args, cwd=project, stdin=stdin), code).startswith(message)


def test_binary_stdin_is_refused(project: Path):
    result = run("secrets", "set", "BIN", "--env", "production", cwd=project, stdin=b"\x00\xff\xfe")
    assert result.returncode == 2
    assert "secret value is not UTF-8 text (invalid byte at offset 1)" in result.stderr.decode()


def test_master_key_errors_exit_2_and_corrupt_nothing(project: Path):
    assert run("secrets", "set", "DB", "--env", "production", cwd=project, stdin=CANARY).returncode == 0
    before = run("secrets", "history", "DB", "--env", "production", "--json", cwd=project).stdout
    wrong = run(
        "secrets",
        "set",
        "DB",
        "--env",
        "production",
        cwd=project,
        stdin="other",
        STAGEWARD_MASTER_KEY=generate_master_key(),
    )
    assert _error(wrong, 2).startswith("error: wrong master key: STAGEWARD_MASTER_KEY has key id")
    malformed = run("secrets", "list", cwd=project, STAGEWARD_MASTER_KEY="short")
    assert malformed.returncode == 0  # listing needs no key: names and versions are not encrypted
    bad = run("secrets", "get", "DB", "--env", "production", cwd=project, STAGEWARD_MASTER_KEY="c2hvcnQ")
    assert _error(bad, 2) == "error: STAGEWARD_MASTER_KEY decodes to 5 bytes: expected 32 (AES-256)"
    key_file = _key_file(project)
    key_file.rename(project / "backup.key")
    missing = run("secrets", "get", "DB", "--env", "production", cwd=project)
    assert _error(missing, 2).startswith("error: no master key: this store's secrets and API keys were encrypted")
    assert not key_file.exists()
    (project / "backup.key").rename(key_file)
    key_file.chmod(0o640)
    loose = run("secrets", "get", "DB", "--env", "production", cwd=project)
    assert (
        _error(loose, 2)
        == f"error: master key file {key_file} has mode 0640: expected 0600 (readable by its owner only)"
    )
    key_file.chmod(0o600)
    assert run("secrets", "get", "DB", "--env", "production", cwd=project).stdout == CANARY
    # The failed attempts left the secret as it was, and the audit chain whole.
    assert run("secrets", "history", "DB", "--env", "production", "--json", cwd=project).stdout == before
    assert run("audit", "verify", cwd=project).returncode == 0


def test_denied_and_expired_exit_codes(project: Path):
    assert (
        run("secrets", "set", "BRIEF", "--env", "production", "--expires-in", "1s", cwd=project, stdin="v").returncode
        == 0
    )
    time.sleep(1.1)
    assert _error(run("secrets", "get", "BRIEF", "--env", "production", cwd=project), 1).startswith(
        "error: secret BRIEF in production (project:lp-crosssell) expired at"
    )
    denied = run("secrets", "get", "BRIEF", "--env", "production", cwd=project, user="bob")
    assert _error(denied, 3) == "error: denied: bob lacks secrets.read_value in production"


def test_generate_and_rotate_from_the_cli(project: Path):
    made = run(
        "secrets",
        "set",
        "AUTO",
        "--env",
        "staging",
        "--rotate-with",
        "random:20",
        "--generate",
        "--expires-in",
        "2d",
        "--json",
        cwd=project,
    )
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout)["rotate_with"] == "random:20"
    first = run("secrets", "get", "AUTO", "--env", "staging", cwd=project).stdout
    rotated = run("secrets", "rotate", "--env", "staging", "--json", cwd=project)
    assert rotated.returncode == 0, rotated.stderr
    assert [r["outcome"] for r in json.loads(rotated.stdout)] == ["rotated"]
    second = run("secrets", "get", "AUTO", "--env", "staging", cwd=project).stdout
    assert len(first) == len(second) == 20 and first != second
    assert first not in rotated.stdout and second not in rotated.stdout


def test_keys_from_the_cli(project: Path):
    assert run("access", "grant", "spn:ci", "deployer", "--env", "development", cwd=project).returncode == 0
    created = run("keys", "create", "--principal", "spn:ci", "--env", "development", "--ttl", "30d", cwd=project)
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    assert key.startswith("sw_development_") and len(key) == len("sw_development_") + 44
    assert "shown once" in created.stderr and key not in created.stderr
    listed = json.loads(run("keys", "list", "--json", cwd=project).stdout)
    assert [k["status"] for k in listed] == ["active"] and key not in json.dumps(listed)
    rotated = run("keys", "rotate", listed[0]["prefix"], "--overlap", "1d", "--json", cwd=project)
    assert rotated.returncode == 0 and json.loads(rotated.stdout)["replaces"] == listed[0]["prefix"]
    revoked = run("keys", "revoke", listed[0]["prefix"], cwd=project)
    assert revoked.returncode == 0 and revoked.stdout.startswith(
        f"revoked {listed[0]['prefix']} (spn:ci in development)"
    )
    assert key.encode() not in _store_bytes(project)


def test_exactly_64_kib_with_its_newline_is_accepted(project: Path):
    value = "k" * 65_536
    assert run("secrets", "set", "BIG", "--env", "sandbox", cwd=project, stdin=value + "\n").returncode == 0
    assert run("secrets", "get", "BIG", "--env", "sandbox", cwd=project).stdout == value


def test_rotate_reports_every_outcome_then_exits_1_when_one_failed(project: Path):
    good = [sys.executable, "-c", "print('rotated-' + 'k3y-made-by-generator')"]
    broken = [sys.executable, "-c", "import sys; sys.exit(4)"]
    yaml_file = project / "stageward.yaml"
    declared = f"generators:\n  good: {json.dumps(good)}\n  broken: {json.dumps(broken)}\n"
    yaml_file.write_text(yaml_file.read_text() + declared)
    assert run("policy", "apply", cwd=project).returncode == 0
    for name, generator in (("GOOD", "good"), ("BROKEN", "broken")):
        made = run(
            "secrets", "set", name, "--env", "staging", "--expires-in", "1d",
            "--rotate-with", f"generator:{generator}", cwd=project, stdin=CANARY,
        )
        assert made.returncode == 0, made.stderr

    table = run("secrets", "rotate", "--env", "staging", cwd=project, COLUMNS="400")
    assert _error(table, 1) == "error: 1 of 2 rotation(s) failed: staging/BROKEN"
    cells = [[c.strip() for c in line.split("│")[1:-1]] for line in table.stdout.splitlines() if "│ secret" in line]
    by_name = {row[2]: (row[5], row[6]) for row in cells}
    assert by_name["GOOD"][0] == "rotated" and by_name["GOOD"][1].startswith("version 2,")
    assert by_name["BROKEN"] == ("failed", f"rotation command {sys.executable!r} exited 4")
    assert run("secrets", "get", "GOOD", "--env", "staging", cwd=project).stdout == "rotated-k3y-made-by-generator"

    as_json = run("secrets", "rotate", "--env", "staging", "--json", cwd=project)
    assert _error(as_json, 1) == "error: 1 of 2 rotation(s) failed: staging/BROKEN"
    rows = {r["name"]: r for r in json.loads(as_json.stdout)}
    assert (rows["GOOD"]["outcome"], rows["BROKEN"]["outcome"]) == ("rotated", "failed")
    assert rows["GOOD"]["detail"].startswith("version 3,")
    for result in (table, as_json):
        out = result.stdout + result.stderr
        assert CANARY not in out and "k3y-made-by-generator" not in out

    # Without the broken one, every rotation succeeds: the same report, exit 0.
    assert run("secrets", "delete", "BROKEN", "--env", "staging", cwd=project).returncode == 0
    clean = run("secrets", "rotate", "--env", "staging", "--json", cwd=project)
    assert clean.returncode == 0 and clean.stderr == "", clean.stderr
    assert [(r["name"], r["outcome"]) for r in json.loads(clean.stdout)] == [("GOOD", "rotated")]
