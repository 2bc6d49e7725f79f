"""`stageward run` as a user runs it: guardrails, the run's environment, masked logs, signals, lost runs, quotas."""

from __future__ import annotations

import base64
import json
import re
import signal
import subprocess
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.registry.support import cli_env, run_cli, spawn_cli
from tests.runs.support import DIGEST, SECRET, git, make_project, wait_for

pytestmark = pytest.mark.shared_config_home

FAST = {"STAGEWARD_RUN_HEARTBEAT_SECONDS": "0.2", "STAGEWARD_RUN_GRACE_SECONDS": "0.5"}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    root = make_project(tmp_path_factory.mktemp("runs-cli") / "project")
    store = f"sqlite:///{root / '.stageward' / 'stageward.db'}"
    for env in ("sandbox", "production"):
        done = subprocess.run(
            [*_cli(), "secrets", "set", "DB_PASSWORD", "--env", env],
            input=SECRET,
            cwd=root,
            env=cli_env(store, "alice"),
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr
    global _PROJECT
    _PROJECT = (root, store)
    return root, store


_PROJECT: tuple[Path, str] = (Path(), "")


def _key_file() -> Path:
    """The master key file the store uses: its content given as STAGEWARD_MASTER_KEY must not reach the run."""
    from stageward.service.keyring import master_key_file
    from stageward.testing import make_context

    root, store = _PROJECT
    return master_key_file(make_context(root, store_url=store))


def _cli() -> list[str]:
    from tests.registry.support import STAGEWARD

    return [STAGEWARD]


def _run(project: tuple[Path, str], *args: str, user: str = "alice", extra: dict[str, str] | None = None):
    root, store = project
    return run_cli(root, store, user, *args, extra={**FAST, **(extra or {})})


def _last_run(project: tuple[Path, str]) -> dict:
    listed = _run(project, "runs", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    return json.loads(listed.stdout)[0]


def test_a_run_gets_its_variables_and_config_file_and_its_output_is_streamed_and_masked(project):
    script = (
        "import os, json, stat, base64, urllib.parse, sys\n"
        "path = os.environ['STAGEWARD_CONFIG']\n"
        "config = json.load(open(path))\n"
        "pw = config['db']['password']\n"
        "print('mode', oct(stat.S_IMODE(os.stat(path).st_mode)))\n"
        "e = os.environ\n"
        "print('env', e['STAGEWARD_ENV'], e['STAGEWARD_DATA_SCRATCH'], 'STAGEWARD_DATA_FEATURES' in e)\n"
        "print('leak', pw, base64.b64encode(pw.encode()).decode(), urllib.parse.quote(pw, safe=''))\n"
        "sys.stdout.flush()\n"
        "for c in pw: sys.stdout.write(c); sys.stdout.flush()\n"
        "print()\n"
        "print('secret in env', any(pw in v for v in os.environ.values()))\n"
        "print('master key withheld', 'STAGEWARD_MASTER_KEY' not in os.environ)\n"
        "print('path', path)\n"
    )
    done = _run(
        project,
        "run",
        "--env",
        "sandbox",
        "--writes",
        "scratch",
        "--tag",
        "purpose=test",
        "--",
        "python",
        "-c",
        script,
        extra={"STAGEWARD_MASTER_KEY": _key_file().read_text().strip()},
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "mode 0o600" in out
    assert "env sandbox file://./data/sandbox False" in out  # only the stores named in --reads/--writes
    assert SECRET not in out and base64.b64encode(SECRET.encode()).decode() not in out
    # base64 leaves at most a character at either end that the secret's bits only partly made
    assert re.search(r"^leak \*\*\* \S?\*\*\*\S{0,3} \*\*\*$", out, re.MULTILINE), out
    assert "secret in env False" in out and "master key withheld True" in out
    config_path = out.split("path ")[1].split()[0]
    assert not Path(config_path).exists()  # the memfd died with the launcher
    assert "succeeded in sandbox (exit 0" in done.stderr
    record = _last_run(project)
    assert record["status"] == "succeeded" and record["exit_code"] == 0
    assert record["tags"] == {
        "project": "lp-runs",
        "team": "lp",
        "environment": "sandbox",
        "cost_center": "CC-1",
        "purpose": "test",
    }
    assert record["commit"] == git(project[0], "rev-parse", "HEAD") and record["ref"] == "refs/heads/main"
    assert record["dirty"] is False
    assert record["cost"] == pytest.approx(record["cpu_seconds"])  # 3600 per CPU hour: one per CPU second
    assert SECRET not in json.dumps(record)
    logs = _run(project, "runs", "logs", record["id"])
    assert logs.returncode == 0 and logs.stdout == out


def test_binary_output_survives_and_a_failing_command_exits_1(project):
    root, store = project
    done = subprocess.run(
        [
            *_cli(),
            "run",
            "--env",
            "sandbox",
            "--",
            "python",
            "-c",
            "import sys; sys.stdout.buffer.write(bytes(range(256))); sys.exit(3)",
        ],
        cwd=root,
        env={**cli_env(store, "alice"), **FAST},
        capture_output=True,
    )
    assert done.stdout == bytes(range(256))
    done = subprocess.CompletedProcess(done.args, done.returncode, "", done.stderr.decode())
    assert done.returncode == 1
    assert "failed (exit 3)" in done.stderr and "hint: stageward runs logs" in done.stderr
    record = _last_run(project)
    assert (record["status"], record["exit_code"]) == ("failed", 3)
    logs = subprocess.run(
        [*_cli(), "runs", "logs", record["id"]], cwd=project[0], env=cli_env(project[1], "alice"), capture_output=True
    )
    assert logs.stdout == bytes(range(256))


def test_a_command_not_found_exits_2_and_is_recorded_failed(project):
    done = _run(project, "run", "--env", "sandbox", "--", "no-such-program-here")
    assert done.returncode == 2
    assert "command not found: no-such-program-here" in done.stderr
    record = _last_run(project)
    assert record["status"] == "failed" and "command not found" in record["note"]


def test_a_secret_typed_into_the_command_is_masked_in_the_record_and_audit_but_reaches_the_command(project):
    script = (
        "import json, os, sys\n"
        "pw = json.load(open(os.environ['STAGEWARD_CONFIG']))['db']['password']\n"
        "print('argument is the secret', sys.argv[1] == pw)\n"
    )
    done = _run(project, "run", "--env", "sandbox", "--", "python", "-c", script, SECRET, f"--password={SECRET}")
    assert done.returncode == 0, done.stderr
    assert "argument is the secret True" in done.stdout
    record = _last_run(project)
    assert record["command"] == ["python", "-c", script, "***", "--password=***"]
    shown = _run(project, "runs", "show", record["id"], "--json")
    audit = _run(project, "audit", "export")
    assert shown.returncode == 0 and audit.returncode == 0, shown.stderr + audit.stderr
    assert record["id"] in audit.stdout and "--password=***" in audit.stdout
    for text in (shown.stdout, audit.stdout, json.dumps(record)):
        assert SECRET not in text and quote(SECRET, safe="") not in text


def test_every_failing_guardrail_is_listed_with_exit_3_and_audited(project):
    root, _ = project
    (root / "untracked.py").write_text("x = 1\n")
    try:
        done = _run(
            project,
            "run",
            "--env",
            "production",
            "--image",
            "ghcr.io/acme/train:latest",
            "--reads",
            "features",
            "--writes",
            "features",
            "--",
            "python",
            "-c",
            "pass",
            user="bob",
        )
    finally:
        (root / "untracked.py").unlink()
    assert done.returncode == 3
    lines = done.stderr.splitlines()
    assert lines[0] == "error: run refused in production: 4 guardrails failed"
    assert lines[1:] == [
        "  - permission: bob lacks runs.launch in production",
        "  - clean_tree: a clean tree is required: the working tree has uncommitted changes",
        "  - image: image ghcr.io/acme/train:latest is not pinned by digest (@sha256:...)",
        "  - writes: writes features: the data store is read-only in production",
    ]
    audit = _run(project, "audit", "list", "--action", "runs.launch", "--json")
    entries = json.loads(audit.stdout)
    assert entries[-1]["outcome"] == "denied" and entries[-1]["principal"] == "bob"
    assert "image ghcr.io/acme/train:latest" in entries[-1]["details"]["reason"]


def test_a_vulnerable_lockfile_blocks_and_scan_names_it(project):
    root, _ = project
    (root / "requirements.lock").write_text("requests==2.30.0\n")
    git(root, "commit", "-qam", "older requests")
    try:
        done = _run(
            project,
            "run",
            "--env",
            "production",
            "--image",
            f"ghcr.io/acme/train@{DIGEST}",
            "--",
            "python",
            "-c",
            "pass",
        )
        assert done.returncode == 3
        assert "  - scan: requests 2.30.0: GHSA-old (HIGH, fixed in 2.31.0)" in done.stderr
        scan = _run(project, "scan", "--env", "production", "--json")
        assert scan.returncode == 1
        report = json.loads(scan.stdout)
        assert report["findings"][0]["advisory"] == "GHSA-old" and report["blocking"] == 1
        assert "1 finding(s) at HIGH, CRITICAL block runs in production" in scan.stderr
    finally:
        (root / "requirements.lock").write_text("requests==2.31.0\n")
        git(root, "commit", "-qam", "fixed requests")
    done = _run(
        project,
        "run",
        "--env",
        "production",
        "--image",
        f"ghcr.io/acme/train@{DIGEST}",
        "--",
        "python",
        "-c",
        "print('ok')",
    )
    assert done.returncode == 0, done.stderr
    assert _run(project, "scan", "--env", "production").returncode == 0


def test_a_detached_head_names_its_ref_through_ci_variables(project):
    root, _ = project
    git(root, "checkout", "-q", "--detach")
    try:
        args = ["run", "--env", "production", "--image", f"ghcr.io/acme/train@{DIGEST}", "--", "python", "-c", "pass"]
        refused = _run(project, *args)
        assert refused.returncode == 3 and "no git ref (detached HEAD" in refused.stderr
        assert _run(project, *args, extra={"GITHUB_REF": "refs/heads/main"}).returncode == 0
        assert "ref refs/heads/dev is not one" in _run(project, *args, extra={"GITHUB_REF": "refs/heads/dev"}).stderr
    finally:
        git(root, "checkout", "-q", "main")


def test_the_cpu_of_the_whole_tree_is_counted(project):
    burn = "import time\\nt=time.process_time()\\nwhile time.process_time()-t<0.4: pass"
    script = f"import subprocess, sys; subprocess.run([sys.executable, '-c', '{burn}'])"
    done = _run(project, "run", "--env", "sandbox", "--", "python", "-c", script)
    assert done.returncode == 0, done.stderr
    assert _last_run(project)["cpu_seconds"] >= 0.4


def _started(process: subprocess.Popen) -> str:
    """Wait for the child's first line (its pid), then give back the run id from the store."""
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line.startswith("pid"), line
    return line.split()[1]


@pytest.mark.parametrize(
    ("number", "ignore"), [(signal.SIGINT, False), (signal.SIGTERM, False), (signal.SIGTERM, True)]
)
def test_a_stopped_launcher_forwards_the_signal_and_the_run_ends_cancelled(project, number: int, ignore: bool):
    root, store = project
    handler = (
        "signal.signal(signal.SIGTERM, signal.SIG_IGN); signal.signal(signal.SIGINT, signal.SIG_IGN)"
        if ignore
        else "pass"
    )
    script = f"import os, signal, time, sys\n{handler}\nprint('pid', os.getpid(), flush=True)\ntime.sleep(60)"
    process = spawn_cli(root, store, "alice", "run", "--env", "sandbox", "--", "python", "-c", script, extra=FAST)
    child = int(_started(process))
    process.send_signal(number)
    _, err = process.communicate(timeout=20)
    assert process.returncode == 1
    assert "cancelled" in err
    record = _last_run(project)
    assert record["status"] == "cancelled"
    assert (record["note"] == "killed after the grace period") is ignore
    assert not Path(f"/proc/{child}").exists()


def test_a_launcher_killed_with_sigkill_leaves_no_config_and_its_run_becomes_lost(project):
    root, store = project
    script = "import os, time\nprint('pid', os.getpid(), os.environ['STAGEWARD_CONFIG'], flush=True)\ntime.sleep(60)"
    process = spawn_cli(root, store, "alice", "run", "--env", "sandbox", "--", "python", "-c", script, extra=FAST)
    assert process.stdout is not None
    line = process.stdout.readline().split()
    child, config = int(line[1]), line[2]
    assert Path(config).read_text().startswith("{")
    process.kill()
    process.wait(timeout=10)
    wait_for(lambda: not Path(f"/proc/{child}").exists() or "Z" in Path(f"/proc/{child}/stat").read_text().split()[2])
    assert not Path(config).exists()
    wait_for(lambda: _last_run(project)["status"] == "lost", timeout=10)
    # The quota slot it held is free again: a lost run is not running.
    assert _run(project, "run", "--env", "sandbox", "--", "python", "-c", "pass").returncode == 0


def test_two_launches_racing_for_the_last_slot_exactly_one_starts(project):
    root, store = project
    script = "import time; print('pid 0', flush=True); time.sleep(1.5)"
    racers = [
        spawn_cli(root, store, "alice", "run", "--env", "sandbox", "--", "python", "-c", script, extra=FAST)
        for _ in range(2)
    ]
    results = [(p.wait(timeout=30), p.stderr.read() if p.stderr else "") for p in racers]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 3], results
    refused = next(err for code, err in results if code == 3)
    assert "quota: 1 of 1 concurrent runs already running" in refused


def test_logs_follow_prints_while_the_run_runs(project):
    root, store = project
    script = "import time\nfor i in range(3):\n    print('tick', i, flush=True)\n    time.sleep(0.4)"
    process = spawn_cli(root, store, "alice", "run", "--env", "sandbox", "--", "python", "-c", script, extra=FAST)
    assert process.stdout is not None
    assert process.stdout.readline() == "tick 0\n"
    run_id = _last_run(project)["id"]
    follow = _run(project, "runs", "logs", run_id, "--follow")
    process.wait(timeout=20)
    assert follow.returncode == 0 and follow.stdout == "tick 0\ntick 1\ntick 2\n"
    shown = _run(project, "runs", "show", run_id, "--json")
    assert json.loads(shown.stdout)["run"]["status"] == "succeeded"


def test_unknown_runs_and_bad_tags_are_refused(project):
    missing = _run(project, "runs", "show", "abcdef")
    assert missing.returncode == 4 and "no run abcdef in project lp-runs" in missing.stderr
    for verb in ("show", "logs"):
        typo = _run(project, "runs", verb, "abcdeg")
        expected = "error: run id 'abcdeg': a run id is hexadecimal (stageward runs list)\n"
        assert (typo.returncode, typo.stderr) == (2, expected)
    tag = _run(project, "run", "--env", "sandbox", "--tag", "team=other", "--", "python", "-c", "pass")
    assert tag.returncode == 2 and "--tag team: set by Stageward" in tag.stderr
    malformed = _run(project, "run", "--env", "sandbox", "--tag", "oops", "--", "python", "-c", "pass")
    assert malformed.returncode == 2 and "--tag 'oops': expected KEY=VALUE" in malformed.stderr
