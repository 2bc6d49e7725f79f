"""The ray executor against a real local Ray head: variables through runtime_env, the config pulled over the
one-shot channel and never in Ray's records, logs streamed back whole in bounded memory, masking, failure,
cancellation, cost from CPUs and duration."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.registry.support import cli_env, run_cli, spawn_cli
from tests.runs.rayhead import RayHead
from tests.runs.support import SECRET, make_project

pytestmark = [pytest.mark.ray, pytest.mark.shared_config_home]


@pytest.fixture(scope="module")
def ray_head() -> Iterator[RayHead]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("STAGEWARD_", "RAY_"))}
    head = RayHead().start(environ)
    yield head
    head.stop()


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, ray_head: RayHead) -> tuple[Path, str, dict[str, str]]:
    import subprocess

    from tests.registry.support import STAGEWARD

    root = make_project(tmp_path_factory.mktemp("ray") / "project")
    store = f"sqlite:///{root / '.stageward' / 'stageward.db'}"
    done = subprocess.run(
        [STAGEWARD, "secrets", "set", "DB_PASSWORD", "--env", "sandbox"],
        input=SECRET, cwd=root, env=cli_env(store, "alice"), capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    extra = {
        "STAGEWARD_RAY_ADDRESS": ray_head.address,
        "STAGEWARD_RAY_PYTHON": sys.executable,
        "STAGEWARD_RUN_HEARTBEAT_SECONDS": "0.5",
    }
    return root, store, extra


def _last(project) -> dict:
    root, store, extra = project
    return json.loads(run_cli(root, store, "alice", "runs", "list", "--json", extra=extra).stdout)[0]


def test_a_ray_run_gets_its_config_and_variables_and_its_logs_are_masked(project):
    root, store, extra = project
    script = (
        "import os, json, stat\n"
        "path = os.environ['STAGEWARD_CONFIG']\n"
        "print('mode', oct(stat.S_IMODE(os.stat(path).st_mode)))\n"
        "print('pw', json.load(open(path))['db']['password'])\n"
        "gone = not any(k.startswith('STAGEWARD_RAY_') or k == 'STAGEWARD_CONFIG_CONTENT' for k in os.environ)\n"
        "print('channel vars gone', gone, os.environ['STAGEWARD_ENV'])\n"
    )
    done = run_cli(root, store, "alice", "run", "--env", "sandbox", "--executor", "ray", "--", sys.executable,
                   "-c", script, extra=extra, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "mode 0o600" in done.stdout and "pw ***" in done.stdout and SECRET not in done.stdout
    assert "channel vars gone True sandbox" in done.stdout
    record = _last(project)
    assert record["executor"] == "ray" and record["status"] == "succeeded" and record["exit_code"] == 0
    assert record["external_id"] == f"stageward-{record['id']}"
    assert record["cpu_seconds"] > 0 and record["cost"] == pytest.approx(record["cpu_seconds"])
    logs = run_cli(root, store, "alice", "runs", "logs", record["id"], extra=extra)
    assert logs.stdout == done.stdout


def test_a_failing_ray_job_is_recorded_failed(project):
    root, store, extra = project
    done = run_cli(root, store, "alice", "run", "--env", "sandbox", "--executor", "ray", "--", sys.executable,
                   "-c", "import sys; sys.exit(5)", extra=extra, timeout=120)  # fmt: skip
    assert done.returncode == 1 and "failed" in done.stderr
    assert _last(project)["status"] == "failed"


def test_a_stopped_launcher_stops_the_ray_job(project):
    root, store, extra = project
    script = "import time\nprint('started', flush=True)\ntime.sleep(120)"
    process = spawn_cli(root, store, "alice", "run", "--env", "sandbox", "--executor", "ray", "--",
                        sys.executable, "-c", script, extra=extra)  # fmt: skip
    assert process.stdout is not None
    while process.stdout.readline() != "started\n":  # Ray prints its own lines first
        assert process.poll() is None
    started = time.monotonic()
    process.terminate()
    process.wait(timeout=60)
    assert process.returncode == 1 and time.monotonic() - started < 60
    assert _last(project)["status"] == "cancelled"


def _ray(ray_head: RayHead):
    from ray.job_submission import JobSubmissionClient

    return JobSubmissionClient(ray_head.address)


def _decoded_words(text: str) -> str:
    """TEXT with the base64 decoding of every word that decodes: a secret hidden in base64 shows up in it."""
    import base64
    import binascii
    import re

    found = [text]
    for word in re.findall(r"[A-Za-z0-9+/=_-]{8,}", text):
        for decode in (base64.b64decode, base64.urlsafe_b64decode):
            try:
                found.append(decode(word + "=" * (-len(word) % 4)).decode("utf-8", "replace"))
            except (binascii.Error, ValueError):
                continue
    return "\n".join(found)


def test_the_config_never_reaches_rays_records_and_its_token_is_worthless_after_the_run(project, ray_head):
    import base64
    import hashlib
    from urllib.parse import quote

    from stageward.runs.executors.ray_shim import FetchFailed, fetch_config

    root, store, extra = project
    script = (
        "import os, json, hashlib\n"
        "config = json.load(open(os.environ['STAGEWARD_CONFIG']))\n"
        "print('host', config['db']['host'])\n"
        "print('pw sha256', hashlib.sha256(config['db']['password'].encode()).hexdigest())\n"
    )
    done = run_cli(root, store, "alice", "run", "--env", "sandbox", "--executor", "ray", "--", sys.executable,
                   "-c", script, extra=extra, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "host db.local" in done.stdout
    assert f"pw sha256 {hashlib.sha256(SECRET.encode()).hexdigest()}" in done.stdout
    record = _last(project)
    client = _ray(ray_head)
    info = client.get_job_info(record["external_id"])
    listed = [job for job in client.list_jobs() if job.submission_id == record["external_id"]]
    assert len(listed) == 1
    recorded = "\n".join(
        [json.dumps(info.runtime_env), info.entrypoint, json.dumps(info.metadata), repr(info), repr(listed[0])]
    )
    seen = _decoded_words(recorded)
    for form in (SECRET, quote(SECRET, safe=""), base64.b64encode(SECRET.encode()).decode()):
        assert form not in seen
    variables = info.runtime_env["env_vars"]
    assert {
        "STAGEWARD_ENV", "STAGEWARD_RUN_ID", "STAGEWARD_DATA_SCRATCH", "STAGEWARD_DATA_FEATURES",
        "STAGEWARD_RAY_CALLBACK", "STAGEWARD_RAY_TOKEN",
    } <= set(variables) and "STAGEWARD_CONFIG_CONTENT" not in variables  # fmt: skip
    assert len(variables["STAGEWARD_RAY_TOKEN"]) == 64  # 256 bits, hex
    with pytest.raises(FetchFailed, match="did not answer"):  # the listener closed with the job
        fetch_config(variables["STAGEWARD_RAY_CALLBACK"], variables["STAGEWARD_RAY_TOKEN"], record["id"])


def test_a_config_taken_first_by_a_reader_of_the_record_leaves_the_job_failing_and_says_so(
    project, ray_head, tmp_path
):
    """Whoever reads the job's record while it waits may race the job for the one fetch (docs/runs.md): a wrong
    token gets nothing; the right one wins once, and then the job refuses to run and the record says why."""
    from stageward.runs.executors.ray_shim import FetchFailed, fetch_config

    root, store, extra = project
    gate = tmp_path / "go"
    python = tmp_path / "slow-python"
    python.write_text(f'#!/bin/sh\nwhile [ ! -e "{gate}" ]; do sleep 0.05; done\nexec "{sys.executable}" "$@"\n')
    python.chmod(0o755)
    process = spawn_cli(root, store, "alice", "run", "--env", "sandbox", "--executor", "ray", "--", sys.executable,
                        "-c", "print('ran')", extra={**extra, "STAGEWARD_RAY_PYTHON": str(python)})  # fmt: skip
    client = _ray(ray_head)
    deadline = time.monotonic() + 90
    variables: dict[str, str] = {}
    while not variables:
        assert time.monotonic() < deadline and process.poll() is None
        for job in client.list_jobs():
            if str(job.status.value) in ("PENDING", "RUNNING") and (job.metadata or {}).get("stageward_run"):
                variables = job.runtime_env["env_vars"]
        time.sleep(0.1)
    url, token, run_id = variables["STAGEWARD_RAY_CALLBACK"], variables["STAGEWARD_RAY_TOKEN"], variables[
        "STAGEWARD_RUN_ID"]  # fmt: skip
    with pytest.raises(FetchFailed, match="HTTP 403: wrong token"):
        fetch_config(url, "0" * 64, run_id)
    stolen = fetch_config(url, token, run_id)
    assert SECRET in stolen.decode()  # the residual risk docs/runs.md states: one fetch, by whoever comes first
    gate.touch()
    out, err = process.communicate(timeout=120)
    assert process.returncode == 1, err
    assert "the run's config could not be fetched: the launcher" in out and "ran" not in out.splitlines()
    record = _last(project)
    assert record["id"] == run_id and record["status"] == "failed" and record["exit_code"] == 78
    assert "someone who read the job's record may have taken the config; rotate its secrets" in record["note"]


def test_a_20_mb_log_is_stored_whole_in_bounded_memory(project, tmp_path):
    import hashlib
    import subprocess

    from tests.registry.support import STAGEWARD

    root, store, extra = project

    def launcher_rss(lines: int) -> tuple[int, dict]:
        script = (
            "import sys\n"
            f"for i in range({lines}):\n"
            "    sys.stdout.write(f'{i:09d} ' + 'x' * 1989 + '\\n')\n"
        )  # 2,000 bytes a line
        with open(tmp_path / "out", "wb") as out:
            process = subprocess.Popen(
                [STAGEWARD, "run", "--env", "sandbox", "--executor", "ray", "--", sys.executable, "-c", script],
                cwd=root, env=cli_env(store, "alice", extra), stdout=out, stderr=subprocess.PIPE,
            )  # fmt: skip
            _, status, usage = os.wait4(process.pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        process.returncode = 0
        return usage.ru_maxrss * 1024, _last(project)

    small_rss, _ = launcher_rss(10)
    lines = 10_000  # 20,000,000 bytes
    big_rss, record = launcher_rss(lines)
    expected = b"".join(f"{i:09d} ".encode() + b"x" * 1989 + b"\n" for i in range(lines))
    stored = tmp_path / "stored"
    with open(stored, "wb") as out:
        subprocess.run([STAGEWARD, "runs", "logs", record["id"]], cwd=root, env=cli_env(store, "alice", extra),
                       stdout=out, check=True, timeout=120)  # fmt: skip
    data = stored.read_bytes()
    ray_lines = data[: len(data) - len(expected)]  # Ray writes its own lines first ("Running entrypoint ...")
    assert len(ray_lines) < 2000 and b"Running entrypoint for job" in ray_lines
    assert hashlib.sha256(data[len(ray_lines) :]).hexdigest() == hashlib.sha256(expected).hexdigest()
    print(f"launcher peak RSS: {small_rss >> 20} MiB for 10 lines, {big_rss >> 20} MiB for 20 MB of log")
    assert big_rss - small_rss < 15 * 1024 * 1024, (small_rss, big_rss)  # the log is 20 MB; memory grew less


def test_binary_output_of_a_ray_run_leaves_the_log_as_ray_returns_it_and_the_run_recorded(project):
    root, store, extra = project
    script = "import sys\nsys.stdout.buffer.write(b'before\\n\\xff\\xfe\\x00 binary\\nafter\\n')\n"
    done = run_cli(root, store, "alice", "run", "--env", "sandbox", "--executor", "ray", "--", sys.executable,
                   "-c", script, extra=extra, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    record = _last(project)
    assert (record["status"], record["exit_code"]) == ("succeeded", 0)
    logs = run_cli(root, store, "alice", "runs", "logs", record["id"], extra=extra)
    # Ray reads a job's log as strict UTF-8: its reader fails on these bytes and the stream ends early, silently
    # (docs/runs.md). What is stored is exactly what Ray returned, and it is never the raw bytes.
    assert logs.stdout == done.stdout and "\ufffd" not in logs.stdout and "after" not in logs.stdout


def test_a_job_the_cluster_refuses_is_a_failed_check_naming_why(project, ray_head):
    from stageward.errors import CheckFailed
    from stageward.runs.executors import Launch
    from stageward.runs.executors.ray_jobs import RayExecutor
    from tests.runs.test_ray_channel import _Collected

    taken = f"{os.getpid():x}dup"
    _ray(ray_head).submit_job(entrypoint="true", submission_id=f"stageward-{taken}")  # Ray refuses a second one
    launch = Launch(run_id=taken, command=["true"], variables={}, config=b"{}", workdir=Path("."),
                    base_environ={"STAGEWARD_RAY_ADDRESS": ray_head.address})  # fmt: skip
    with pytest.raises(CheckFailed) as refused:
        RayExecutor().execute(launch, _Collected())
    assert str(refused.value).startswith(f"the Ray cluster at {ray_head.address} refused the job: ")
    assert "already exists" in str(refused.value)


def test_a_job_queued_longer_than_the_callback_wait_still_gets_its_config(project, ray_head):
    """The wait for the job's fetch counts from when it leaves Ray's queue, not from its submission."""
    from ray.job_submission import JobSubmissionClient

    root, store, extra = project
    client = JobSubmissionClient(ray_head.address)
    # The head is this module's: a job an earlier test cancelled may still be ending, holding a CPU the blocker
    # needs. Wait for the head to be idle, so the blocker holds every CPU as soon as it is submitted.
    deadline = time.monotonic() + 90
    while busy := [job.submission_id for job in client.list_jobs() if not job.status.is_terminal()]:
        assert time.monotonic() < deadline, f"jobs still holding the head: {busy}"
        time.sleep(0.5)
    blocker = client.submit_job(entrypoint="sleep 6", entrypoint_num_cpus=2)  # every CPU of the head
    deadline = time.monotonic() + 60
    while str(client.get_job_status(blocker).value) != "RUNNING":
        assert time.monotonic() < deadline, "the blocking job never started"
        time.sleep(0.2)
    queued = {**extra, "STAGEWARD_RAY_NUM_CPUS": "2", "STAGEWARD_RAY_CALLBACK_SECONDS": "2"}
    script = "import os, json; print('pw', json.load(open(os.environ['STAGEWARD_CONFIG']))['db']['password'])"
    started = time.monotonic()
    done = run_cli(root, store, "alice", "run", "--env", "sandbox", "--executor", "ray", "--", sys.executable,
                   "-c", script, extra=queued, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "pw ***" in done.stdout
    assert time.monotonic() - started > 3  # it did wait in the queue for longer than the 2 s
    assert str(client.get_job_status(blocker).value) == "SUCCEEDED"
    assert _last(project)["status"] == "succeeded"
