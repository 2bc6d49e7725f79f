"""`stageward run` through a warm launcher (`stageward launcher start`): the same run a cold launcher makes, the
same signals and SIGKILL behaviour, and the walls around a process that outlives its caller."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.registry.support import STAGEWARD, cli_env
from tests.runs.support import DIGEST, SECRET, make_project, wait_for

pytestmark = pytest.mark.shared_config_home

FAST = {"STAGEWARD_RUN_HEARTBEAT_SECONDS": "0.2", "STAGEWARD_RUN_GRACE_SECONDS": "0.5"}
SRC = Path(__file__).resolve().parents[2] / "src"
# Prints the launcher's pid (STAGEWARD_CONFIG is /proc/<launcher pid>/fd/<n>), the folder and a variable only the
# caller has, then the config's secret (to be masked).
SHOW = (
    "import json, os\n"
    "path = os.environ['STAGEWARD_CONFIG']\n"
    "print('launcher', path.split('/')[2], flush=True)\n"
    "print('cwd', os.getcwd(), 'only', os.environ.get('ONLY_THE_CALLER'), 'umask', oct(os.umask(0)), flush=True)\n"
    "print('secret', json.load(open(path))['db']['password'], flush=True)\n"
)


class Launcher:
    """One project and one runtime folder (so one warm launcher) for this module's tests."""

    def __init__(self, root: Path, store: str, runtime: Path) -> None:
        self.root, self.store, self.runtime = root, store, runtime

    def env(self, **extra: str) -> dict[str, str]:
        return cli_env(self.store, "alice", {**FAST, "XDG_RUNTIME_DIR": str(self.runtime), **extra})

    def cli(self, *args: str, env: dict[str, str] | None = None, **options) -> subprocess.CompletedProcess[str]:
        options.setdefault("cwd", self.root)
        return subprocess.run(
            [STAGEWARD, *args], env=env or self.env(), capture_output=True, text=True, timeout=90, **options
        )

    def spawn(self, *args: str, env: dict[str, str] | None = None, **options) -> subprocess.Popen[str]:
        options.setdefault("cwd", self.root)
        return subprocess.Popen(
            [STAGEWARD, *args], env=env or self.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            **options,
        )  # fmt: skip

    def status(self, env: dict[str, str] | None = None) -> dict:
        done = self.cli("launcher", "status", "--json", env=env)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    def start(self, *args: str, env: dict[str, str] | None = None) -> dict:
        done = self.cli("launcher", "start", "--json", *args, env=env)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    def last_run(self) -> dict:
        done = self.cli("runs", "list", "--json", env=self.env(STAGEWARD_LAUNCHER="cold"))
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)[0]


def _short_folder() -> Path:
    """A runtime folder: a socket's path must fit in 107 bytes, and pytest's folders are long."""
    return Path(tempfile.mkdtemp(prefix="sw-"))


@pytest.fixture
def runtime() -> Iterator[Path]:
    folder = _short_folder()
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def launcher(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Launcher]:
    root = make_project(tmp_path_factory.mktemp("warm") / "project")
    store = f"sqlite:///{root / '.stageward' / 'stageward.db'}"
    found = Launcher(root, store, _short_folder())
    for env in ("sandbox", "production"):
        done = found.cli("secrets", "set", "DB_PASSWORD", "--env", env, input=SECRET)
        assert done.returncode == 0, done.stderr
    found.start("--idle", "300")
    yield found
    found.cli("launcher", "stop")
    shutil.rmtree(found.runtime, ignore_errors=True)


def _gone(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
    except FileNotFoundError:
        return True


def _lines(text: str) -> dict[str, list[str]]:
    return {line.split()[0]: line.split()[1:] for line in text.splitlines() if line.strip()}


def test_a_warm_run_is_the_run_a_cold_launcher_makes_in_the_callers_folder_and_environment(launcher: Launcher):
    served = launcher.status()["runs_served"]
    workdir = launcher.root / "conf"
    process = launcher.spawn(
        "run", "--env", "sandbox", "--", sys.executable, "-c", SHOW, env=launcher.env(ONLY_THE_CALLER="yes"),
        cwd=workdir, preexec_fn=lambda: os.umask(0o027),
    )  # fmt: skip
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    shown = _lines(out)
    # The launcher is not the caller: the warm launcher forked it, and it took over the caller's world.
    assert int(shown["launcher"][0]) != process.pid
    assert shown["cwd"] == [str(launcher.root), "only", "yes", "umask", "0o27"]  # a run starts in the project
    assert shown["secret"] == ["***"] and SECRET not in out + err
    assert "succeeded in sandbox (exit 0" in err
    assert launcher.status()["runs_served"] == served + 1
    record = launcher.last_run()
    assert record["status"] == "succeeded" and record["principal"] == "alice"


def test_exit_codes_and_refusals_reach_the_caller(launcher: Launcher):
    failed = launcher.cli("run", "--env", "sandbox", "--", sys.executable, "-c", "raise SystemExit(7)")
    assert failed.returncode == 1 and "failed (exit 7)" in failed.stderr
    refused = launcher.cli("run", "--env", "production", "--image", "ghcr.io/acme/train:latest", "--", "true")
    assert refused.returncode == 3, refused.stderr
    assert "image ghcr.io/acme/train:latest" in refused.stderr and "digest" in refused.stderr
    unknown = launcher.cli("run", "--env", "nowhere", "--", "true")
    assert unknown.returncode == 4 and "no environment 'nowhere'" in unknown.stderr
    assert launcher.cli("run", "--env", "sandbox", "--", "no-such-command-here").returncode == 2


def test_a_signal_to_the_caller_reaches_the_run_and_it_ends_cancelled(launcher: Launcher):
    script = "import os, time\nprint('pid', os.getpid(), flush=True)\ntime.sleep(60)"
    process = launcher.spawn("run", "--env", "sandbox", "--", sys.executable, "-c", script)
    assert process.stdout is not None
    child = int(process.stdout.readline().split()[1])
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 1 and "cancelled" in err
    assert launcher.last_run()["status"] == "cancelled"
    wait_for(lambda: _gone(child))


def test_a_caller_killed_with_sigkill_takes_its_launcher_and_command_along_and_the_run_becomes_lost(
    launcher: Launcher,
):
    script = "import os, time\nprint('pid', os.getpid(), os.environ['STAGEWARD_CONFIG'], flush=True)\ntime.sleep(60)"
    process = launcher.spawn("run", "--env", "sandbox", "--", sys.executable, "-c", script)
    assert process.stdout is not None
    _, child, config = process.stdout.readline().split()
    forked = int(config.split("/")[2])
    assert forked != process.pid and Path(config).read_text().startswith("{")
    process.kill()
    process.wait(timeout=10)
    wait_for(lambda: _gone(forked) and _gone(int(child)))
    assert not Path(config).exists()
    wait_for(lambda: launcher.last_run()["status"] == "lost", timeout=15)
    assert launcher.status()["running"] is True  # the warm launcher itself goes on serving


def test_stopping_the_launcher_lets_a_run_it_started_finish(launcher: Launcher):
    script = "import time\nprint('started', flush=True)\ntime.sleep(1)\nprint('finished', flush=True)"
    process = launcher.spawn("run", "--env", "sandbox", "--", sys.executable, "-c", script)
    assert process.stdout is not None and process.stdout.readline().strip() == "started"
    stopped = launcher.cli("launcher", "stop", "--json")
    assert stopped.returncode == 0 and json.loads(stopped.stdout)["stopped"] > 0
    out, err = process.communicate(timeout=30)
    assert process.returncode == 0 and out.strip() == "finished", err
    assert launcher.status() == {"running": False}
    cold = launcher.cli("run", "--env", "sandbox", "--", sys.executable, "-c", SHOW)
    assert cold.returncode == 0
    launcher.start("--idle", "300")


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to give the caller other groups")
def test_a_caller_with_other_groups_or_asking_for_cold_starts_cold(launcher: Launcher):
    served = launcher.status()["runs_served"]
    other_groups = launcher.spawn(
        "run", "--env", "sandbox", "--", sys.executable, "-c", SHOW, extra_groups=[*os.getgroups(), 4242]
    )
    out, err = other_groups.communicate(timeout=60)
    assert other_groups.returncode == 0, err
    assert int(_lines(out)["launcher"][0]) == other_groups.pid  # its own process launched it
    asked = launcher.spawn("run", "--env", "sandbox", "--", sys.executable, "-c", SHOW, env=launcher.env(
        STAGEWARD_LAUNCHER="cold"
    ))  # fmt: skip
    out, err = asked.communicate(timeout=60)
    assert asked.returncode == 0 and int(_lines(out)["launcher"][0]) == asked.pid, err
    assert launcher.status()["runs_served"] == served


def test_the_launcher_keeps_no_secret_of_the_shell_that_started_it(launcher: Launcher, runtime: Path):
    env = launcher.env(STAGEWARD_MASTER_KEY="k" * 44, AWS_SECRET_ACCESS_KEY="aws-secret", XDG_RUNTIME_DIR=str(runtime))
    started = launcher.start("--idle", "60", env=env)
    try:
        environ = Path(f"/proc/{started['pid']}/environ").read_bytes()
        assert b"STAGEWARD" not in environ and b"aws-secret" not in environ and b"k" * 44 not in environ
        assert b"XDG_RUNTIME_DIR=" + str(runtime).encode() in environ
        folder = runtime / "stageward"
        assert folder.stat().st_mode & 0o777 == 0o700
        sockets = list(folder.glob("*.sock"))
        assert len(sockets) == 1 and sockets[0].stat().st_mode & 0o077 == 0
    finally:
        launcher.cli("launcher", "stop", env=env)


def test_a_launcher_stops_by_itself_once_idle(launcher: Launcher, runtime: Path):
    env = launcher.env(XDG_RUNTIME_DIR=str(runtime))
    pid = launcher.start("--idle", "1", env=env)["pid"]
    wait_for(lambda: _gone(pid), timeout=20)
    assert launcher.status(env=env) == {"running": False}
    assert not list((runtime / "stageward").glob("*.sock"))


@pytest.mark.parametrize(("owner", "mode"), [(65534, 0o700), (None, 0o755)])
def test_a_folder_another_user_owns_or_can_enter_is_never_used(
    launcher: Launcher, runtime: Path, owner: int | None, mode: int
):
    planted = runtime / "stageward"
    planted.mkdir(parents=True)
    planted.chmod(mode)
    if owner is not None:
        os.chown(planted, owner, owner)
    env = launcher.env(XDG_RUNTIME_DIR=str(runtime))
    refused = launcher.cli("launcher", "start", env=env)
    assert refused.returncode == 2
    assert str(planted) in refused.stderr and ("owned by uid 65534" in refused.stderr or "0700" in refused.stderr)
    assert not list(planted.iterdir())
    process = launcher.spawn("run", "--env", "sandbox", "--", sys.executable, "-c", SHOW, env=env)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0 and int(_lines(out)["launcher"][0]) == process.pid, err


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to act as another user")
def test_another_user_who_reaches_the_socket_gets_no_answer(launcher: Launcher, runtime: Path):
    try:
        env = launcher.env(XDG_RUNTIME_DIR=str(runtime))
        launcher.start("--idle", "60", env=env)
        path = next((runtime / "stageward").glob("*.sock"))
        runtime.chmod(0o755)
        path.parent.chmod(0o755)
        path.chmod(0o666)  # as if its user had opened it to all: the peer check still refuses
        probe = (
            "import json, os, socket, struct, sys\n"
            "os.setgid(65534); os.setuid(65534)\n"
            "s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])\n"
            "body = json.dumps({'kind': 'ping'}).encode()\n"
            "try:\n"
            "    socket.send_fds(s, [struct.pack('>I', len(body))], [0, 1, 2]); s.sendall(body); got = s.recv(100)\n"
            "except OSError:\n"
            "    got = b''\n"
            "print('answered' if got else 'refused')\n"
        )
        done = subprocess.run([sys.executable, "-c", probe, str(path)], capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "refused"
        path.parent.chmod(0o700)
        assert launcher.status(env=env)["running"] is True  # and it still serves its own user
    finally:
        (runtime / "stageward").chmod(0o700)
        launcher.cli("launcher", "stop", env=launcher.env(XDG_RUNTIME_DIR=str(runtime)))


def test_a_launcher_running_code_that_changed_says_so_stops_and_the_run_starts_cold(
    launcher: Launcher, tmp_path: Path, runtime: Path
):
    copy = tmp_path / "src"
    shutil.copytree(SRC / "stageward", copy / "stageward")
    env = launcher.env(XDG_RUNTIME_DIR=str(runtime), PYTHONPATH=str(copy))
    pid = launcher.start("--idle", "60", env=env)["pid"]
    edited = copy / "stageward" / "runs" / "guardrails.py"
    os.utime(edited, ns=(time.time_ns(), time.time_ns() + 10**9))
    assert launcher.status(env=env)["current"] is False
    process = launcher.spawn("run", "--env", "sandbox", "--", sys.executable, "-c", SHOW, env=env)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert int(_lines(out)["launcher"][0]) == process.pid
    assert "warm launcher was running older code and has stopped" in err
    wait_for(lambda: _gone(pid))
    assert launcher.status(env=env) == {"running": False}


def test_a_production_run_with_every_guardrail_passes_warm(launcher: Launcher):
    done = launcher.cli(
        "run", "--env", "production", "--image", f"ghcr.io/acme/train@{DIGEST}", "--reads", "features", "--",
        sys.executable, "-c", "print('ok')",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout == "ok\n"
