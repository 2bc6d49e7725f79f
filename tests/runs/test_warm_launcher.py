"""`stageward run` through a warm launcher (`stageward launcher start`): the same run a cold launcher makes, the
same signals and SIGKILL behaviour, and the walls around a process that outlives its caller."""

from __future__ import annotations

import contextlib
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


# --- Attacks and equivalence with a cold start (each of these failed before its fix) ---

_PR_SET_NO_NEW_PRIVS, _PR_CAPBSET_DROP, _CAP_SYS_ADMIN = 38, 24, 21
# Prints the command's confinement and signal dispositions as the kernel shows them.
STATUS = (
    "import os\n"
    "print('launcher', os.environ['STAGEWARD_CONFIG'].split('/')[2])\n"
    "for line in open('/proc/self/status'):\n"
    "    if line.split(':')[0] in ('NoNewPrivs', 'CapBnd', 'SigIgn', 'SigBlk'):\n"
    "        print(line.split(':')[0], line.split()[1])\n"
)


def _prctl(*args: int) -> None:
    import ctypes

    if ctypes.CDLL(None, use_errno=True).prctl(*args, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl")


def _no_new_privs() -> None:
    _prctl(_PR_SET_NO_NEW_PRIVS, 1, 0)


def _no_sys_admin() -> None:
    _prctl(_PR_CAPBSET_DROP, _CAP_SYS_ADMIN, 0)


@pytest.mark.parametrize(
    ("confine", "field", "expected"),
    [
        (_no_new_privs, "NoNewPrivs", "1"),
        pytest.param(
            _no_sys_admin, "CapBnd", None,
            marks=pytest.mark.skipif(os.getuid() != 0, reason="needs root to have a capability to drop"),
        ),
    ],
)  # fmt: skip
def test_a_confined_caller_is_never_served_by_the_unconfined_launcher(
    launcher: Launcher, confine, field: str, expected: str | None
):
    """A process that gave up privileges (no_new_privs, a capability) must not get them back by asking."""
    process = launcher.spawn("run", "--env", "sandbox", "--", sys.executable, "-c", STATUS, preexec_fn=confine)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    shown = _lines(out)
    assert int(shown["launcher"][0]) == process.pid  # it started cold, in its own confinement
    if expected is not None:
        assert shown[field] == [expected]
    else:
        assert not int(shown[field][0], 16) & (1 << _CAP_SYS_ADMIN)


def test_a_caller_that_claims_the_launchers_identity_is_judged_by_the_kernel(launcher: Launcher):
    """The request's words about groups and namespaces are not what the launcher checks."""
    status = launcher.env()
    probe = (
        "import ctypes, json, os, socket, struct, sys\n"
        f"assert ctypes.CDLL(None).prctl({_PR_SET_NO_NEW_PRIVS}, 1, 0, 0, 0) == 0\n"
        "sys.path.insert(0, sys.argv[2])\n"
        "from stageward.cli import warm_protocol as p\n"
        "me = {'groups': sorted(os.getgroups()), 'namespaces': {n: os.readlink(f'/proc/self/ns/{n}')"
        " for n in ('mnt', 'pid', 'net', 'user', 'ipc', 'uts')}}\n"
        "s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])\n"
        "p.send_with_stdio(s, {'kind': 'run', 'argv': ['--version'], 'cwd': '/', 'env': {}, 'umask': 18, **me})\n"
        "print(sorted(p.read_frame(s)))\n"
    )
    path = _socket(launcher.runtime, status)
    done = subprocess.run(
        [sys.executable, "-c", probe, str(path), str(SRC)], capture_output=True, text=True, timeout=30,
        env=status,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['cold']"


def _socket(runtime: Path, env: dict[str, str]) -> Path:
    script = "from stageward.cli.warm_protocol import socket_path; print(socket_path())"
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    return Path(done.stdout.strip())


def _memory(pid: int) -> bytes:
    """Every private writable page of process PID (its heap, Python's arenas)."""
    found = bytearray()
    with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", buffering=0) as mem:
        for line in maps:
            fields = line.split()
            if fields[1].startswith("rw") and (len(fields) < 6 or not fields[5].startswith("/dev/")):
                start, end = (int(part, 16) for part in fields[0].split("-"))
                with contextlib.suppress(OSError):
                    mem.seek(start)
                    found += mem.read(end - start)
    return bytes(found)


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to read another process's memory")
def test_no_callers_environment_or_arguments_stay_in_the_warm_launchers_memory(launcher: Launcher):
    token, argument = f"tok-{os.urandom(12).hex()}", f"arg-{os.urandom(12).hex()}"
    done = launcher.cli(
        "run", "--env", "sandbox", "--", sys.executable, "-c", "pass", argument, env=launcher.env(API_TOKEN=token)
    )
    assert done.returncode == 0, done.stderr
    memory = _memory(launcher.status()["pid"])
    assert len(memory) > 1_000_000  # it did read the launcher's memory
    assert [secret for secret in (token, argument) if secret.encode() in memory] == []


def test_two_starts_racing_both_succeed_and_agree_on_one_launcher(launcher: Launcher, runtime: Path):
    env = launcher.env(XDG_RUNTIME_DIR=str(runtime))
    try:
        racing = [launcher.spawn("launcher", "start", "--json", "--idle", "60", env=env) for _ in range(2)]
        answers = [process.communicate(timeout=90) for process in racing]
        assert [process.returncode for process in racing] == [0, 0], answers
        pids = {json.loads(out)["pid"] for out, _ in answers}
        assert len(pids) == 1 and launcher.status(env=env)["pid"] in pids
    finally:
        launcher.cli("launcher", "stop", env=env)


def test_a_link_planted_as_the_log_is_not_followed(launcher: Launcher, runtime: Path, tmp_path: Path):
    env = launcher.env(XDG_RUNTIME_DIR=str(runtime))
    (runtime / "stageward").mkdir(mode=0o700)
    victim = tmp_path / "precious"
    victim.write_text("keep me\n")
    log = _socket(runtime, env).with_suffix(".log")
    log.symlink_to(victim)
    refused = launcher.cli("launcher", "start", env=env)
    assert refused.returncode == 2, refused.stderr
    assert str(log) in refused.stderr and "remove it" in refused.stderr
    assert victim.read_text() == "keep me\n"
    assert launcher.status(env=env) == {"running": False}


def test_a_stopped_launcher_does_not_hang_a_run_it_starts_cold(launcher: Launcher):
    pid = launcher.status()["pid"]
    os.kill(pid, signal.SIGSTOP)
    try:
        process = launcher.spawn("run", "--env", "sandbox", "--", sys.executable, "-c", SHOW)
        out, err = process.communicate(timeout=30)  # its pipes close: the stopped launcher was never given them
        assert process.returncode == 0, err
        assert int(_lines(out)["launcher"][0]) == process.pid
        assert "did not answer within 5 s; this run starts cold" in err
    finally:
        os.kill(pid, signal.SIGCONT)
    # Once it goes on, it takes the queued connection of the caller that gave up: that run is not run again.
    assert launcher.status()["running"] is True
    time.sleep(0.5)
    assert f"run {launcher.last_run()['id']} succeeded" in err


def test_a_caller_trickling_its_request_holds_the_others_up_briefly(launcher: Launcher):
    import socket as sockets
    import struct
    import threading

    stop = threading.Event()

    def trickle() -> None:
        with sockets.socket(sockets.AF_UNIX) as sock:
            sock.connect(str(_socket(launcher.runtime, launcher.env())))
            sockets.send_fds(sock, [struct.pack(">I", 1000)[:1]], [0, 1, 2])
            with contextlib.suppress(OSError):
                while not stop.wait(0.2):
                    sock.send(b" ")

    thread = threading.Thread(target=trickle)
    thread.start()
    try:
        time.sleep(0.3)
        began = time.monotonic()
        assert launcher.status()["running"] is True
        assert time.monotonic() - began < 6  # the trickler is cut off after 2 s (it would go on for 10)
    finally:
        stop.set()
        thread.join()


def test_a_debug_run_shows_the_traceback_a_cold_one_shows(launcher: Launcher):
    warm = launcher.cli("run", "--env", "nowhere", "--", "true", env=launcher.env(STAGEWARD_DEBUG="1"))
    debug_cold = launcher.env(STAGEWARD_DEBUG="1", STAGEWARD_LAUNCHER="cold")
    cold = launcher.cli("run", "--env", "nowhere", "--", "true", env=debug_cold)
    assert "Traceback (most recent call last)" in cold.stderr and "no environment 'nowhere'" in cold.stderr
    assert warm.returncode == cold.returncode == 1
    assert "Traceback (most recent call last)" in warm.stderr and "no environment 'nowhere'" in warm.stderr


def _ignore_hup_block_usr1() -> None:
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})


def _warm_and_cold(launcher: Launcher, show: str, preexec_fn) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    """The same `stageward run -- python -c SHOW` from a caller PREEXEC_FN prepares, served warm, then started cold:
    what each printed, by its lines' first word. The warm one is checked to be served by a
    fork of the launcher and the cold one by its caller, so a comparison of the two compares warm with cold."""
    seen, callers = {}, {}
    for mode in ("warm", "cold"):
        process = launcher.spawn(
            "run", "--env", "sandbox", "--", sys.executable, "-c", show, preexec_fn=preexec_fn,
            env=launcher.env(STAGEWARD_LAUNCHER=mode),
        )  # fmt: skip
        out, err = process.communicate(timeout=60)
        assert process.returncode == 0, err
        seen[mode], callers[mode] = _lines(out), process.pid
    assert int(seen["warm"]["launcher"][0]) != callers["warm"]
    assert int(seen["cold"]["launcher"][0]) == callers["cold"]
    return seen


def test_signals_the_caller_ignores_or_blocks_are_so_for_its_command_as_when_cold(launcher: Launcher):
    """`nohup stageward run ...` leaves SIGHUP ignored in the command; a blocked mask is inherited as well."""
    seen = _warm_and_cold(launcher, STATUS, _ignore_hup_block_usr1)
    assert int(seen["cold"]["SigIgn"][0], 16) & (1 << (signal.SIGHUP - 1))
    assert int(seen["cold"]["SigBlk"][0], 16) & (1 << (signal.SIGUSR1 - 1))
    assert (seen["warm"]["SigIgn"], seen["warm"]["SigBlk"]) == (seen["cold"]["SigIgn"], seen["cold"]["SigBlk"])


def test_a_signal_forwarded_before_the_fork_took_over_is_answered_not_fatal(launcher: Launcher):
    """The caller forwards SIGINT as soon as it knows the pid; one that lands before the forked launcher has
    the caller's handlers waits for them (here: main() says interrupted) instead of killing it silently."""
    import socket as sockets

    from stageward.cli import warm_protocol as protocol

    with sockets.socket(sockets.AF_UNIX) as sock:
        sock.connect(str(_socket(launcher.runtime, launcher.env())))
        sock.sendall(protocol.encode({"kind": "run"}))
        forked = protocol.read_frame(sock)["pid"]
        os.kill(forked, signal.SIGINT)
        os.kill(forked, signal.SIGINT)
        request = {"argv": ["run", "--env", "sandbox", "--", "true"], "cwd": str(launcher.root), "env": launcher.env()}
        with open(os.devnull, "r+b") as null:
            saved = [os.dup(number) for number in protocol.STDIO]
            try:
                for number in protocol.STDIO:
                    os.dup2(null.fileno(), number)
                protocol.send_with_stdio(sock, {**request, "umask": 0o22})
            finally:
                for number, copy in zip(protocol.STDIO, saved, strict=True):
                    os.dup2(copy, number)
                    os.close(copy)
        assert protocol.read_frame(sock, time.monotonic() + 30) == {"exit": 130}


@pytest.mark.parametrize("setting", [{"PYTHONWARNINGS": "error"}, {"PYTHONUTF8": "0"}, {"LC_ALL": "C"}])
def test_a_caller_whose_interpreter_would_start_otherwise_starts_cold(launcher: Launcher, setting: dict[str, str]):
    """Warnings, UTF-8 mode and the locale's encoding are settled when an interpreter starts: a launcher started
    with other values is not the launcher this caller would have been."""
    assert all(launcher.env().get(key) != value for key, value in setting.items())
    process = launcher.spawn("run", "--env", "sandbox", "--", sys.executable, "-c", SHOW, env=launcher.env(**setting))
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert int(_lines(out)["launcher"][0]) == process.pid


def test_a_flood_of_broken_requests_does_not_fill_the_log_or_end_the_launcher(launcher: Launcher, runtime: Path):
    import socket as sockets
    import struct

    env = launcher.env(XDG_RUNTIME_DIR=str(runtime))
    launcher.start("--idle", "60", env=env)
    try:
        path = _socket(runtime, env)
        nested = b"[" * 200_000  # deeper than the interpreter's stack: it must not end the launcher
        for body in [b"\xff\xff\xff\xff", struct.pack(">I", len(nested)) + nested] * 20:
            with sockets.socket(sockets.AF_UNIX) as sock:
                sock.connect(str(path))
                sock.sendall(body)  # a frame of 4 GiB, or one nested past any stack
                assert sock.recv(10) == b""
        logged = path.with_suffix(".log").read_text().splitlines()
        assert len(logged) == 21 and logged[0].startswith("a request was dropped: ValueError: a frame of 4294967295")
        assert logged[1] == "a request was dropped: ValueError: a frame nested too deep"
        assert logged[-1] == "further dropped requests are not logged"
        assert launcher.status(env=env)["running"] is True
    finally:
        launcher.cli("launcher", "stop", env=env)


def _pinned_batch_and_killable() -> None:
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    os.sched_setscheduler(0, os.SCHED_BATCH, os.sched_param(0))
    Path("/proc/self/oom_score_adj").write_text("500")


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs two CPUs to pin to one")
def test_a_caller_pinned_to_a_cpu_batch_scheduled_or_oom_preferred_gives_its_command_the_same(launcher: Launcher):
    """`taskset -c 0 chrt --batch 0 stageward run ...`, or a job its supervisor made the OOM killer's first pick."""
    show = (
        "import os\n"
        "print('launcher', os.environ['STAGEWARD_CONFIG'].split('/')[2])\n"
        "print('cpus', *sorted(os.sched_getaffinity(0)))\n"
        "print('policy', os.sched_getscheduler(0))\n"
        "print('oom', open('/proc/self/oom_score_adj').read().strip())\n"
    )
    seen = _warm_and_cold(launcher, show, _pinned_batch_and_killable)
    expected = {"cpus": [str(min(os.sched_getaffinity(0)))], "policy": [str(os.SCHED_BATCH)], "oom": ["500"]}
    assert {key: seen["cold"][key] for key in expected} == expected
    assert {key: seen["warm"][key] for key in expected} == expected


def test_a_caller_with_an_environment_past_a_frame_starts_cold(launcher: Launcher):
    """Escaped, an environment of accented text is three times its size: past what the launcher reads, the
    caller starts cold instead of failing."""
    from stageward.cli.warm_protocol import MAX_FRAME

    wide = {f"WIDE_{index}": "é" * 60_000 for index in range(14)}
    assert len(json.dumps(wide)) > MAX_FRAME
    process = launcher.spawn("run", "--env", "sandbox", "--", sys.executable, "-c", SHOW, env=launcher.env(**wide))
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert int(_lines(out)["launcher"][0]) == process.pid


def test_a_caller_the_fork_cannot_take_over_is_told_to_start_cold(launcher: Launcher, tmp_path: Path):
    """Its folder gone between asking and being taken over: nothing ran, so the caller may start cold."""
    import socket as sockets

    from stageward.cli import warm_protocol as protocol

    with sockets.socket(sockets.AF_UNIX) as sock:
        sock.connect(str(_socket(launcher.runtime, launcher.env())))
        sock.sendall(protocol.encode({"kind": "run"}))
        assert "pid" in protocol.read_frame(sock)
        request = {"argv": ["--version"], "cwd": str(tmp_path / "gone"), "env": {}, "umask": 0o22}
        protocol.send_with_stdio(sock, request)
        assert protocol.read_frame(sock, time.monotonic() + 30) == {"cold": "FileNotFoundError"}


def _new_cgroup() -> tuple[Path, str] | None:
    """A new group under this process's own, in the first hierarchy (memory first) where one can be made: its
    folder, and the line /proc/PID/cgroup shows for a process in it."""
    from stageward.cli.warm_cgroup import known_controllers, memberships, mounts

    mounted = mounts(Path("/proc/self/mountinfo").read_text(), known_controllers())
    lines = Path("/proc/self/cgroup").read_text().split()
    for line in sorted(lines, key=lambda text: ":memory:" not in text):
        [(hierarchy, path)] = memberships(line).items()
        if hierarchy not in mounted or mounted[hierarchy][1] != "/":
            continue
        name = f"sw-warm-{os.getpid()}"
        folder = Path(mounted[hierarchy][0] + path.rstrip("/")) / name
        try:
            folder.mkdir()
        except OSError:
            continue
        return folder, f"{line.rsplit(':', 1)[0]}:{path.rstrip('/')}/{name}"
    return None


def test_a_caller_in_a_cgroup_of_its_own_has_its_command_run_in_that_group_as_when_cold(launcher: Launcher):
    """`systemd-run --scope -p MemoryMax=...`, a Slurm step, a CI job's group: a warm run is limited and accounted
    as the cold one is, not in the group the warm launcher was started in."""
    made = _new_cgroup()
    if made is None:
        pytest.skip("no cgroup hierarchy here in which this user may make a group")
    folder, expected = made
    show = (
        "import os\n"
        "print('launcher', os.environ['STAGEWARD_CONFIG'].split('/')[2])\n"
        "print('groups', *sorted(open('/proc/self/cgroup').read().split()))\n"
    )
    try:
        seen = _warm_and_cold(launcher, show, lambda: (folder / "cgroup.procs").write_text(str(os.getpid())))
    finally:
        wait_for(lambda: not (folder / "cgroup.procs").read_text().split(), timeout=10)
        folder.rmdir()
    assert expected in seen["cold"]["groups"]
    assert seen["warm"]["groups"] == seen["cold"]["groups"]


def test_a_group_the_fork_cannot_join_is_named_and_nothing_moves():
    from stageward.cli.warm_cgroup import join

    before = Path("/proc/self/cgroup").read_text()
    with pytest.raises(OSError, match="^the name=sw-nowhere hierarchy of /job-7 is not mounted$"):
        join("13:name=sw-nowhere:/job-7\n")
    assert Path("/proc/self/cgroup").read_text() == before


def test_mounted_hierarchies_are_found_on_v1_v2_and_hybrid_layouts():
    from stageward.cli.warm_cgroup import memberships, mounts

    info = (
        "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
        "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct\n"
        "35 31 0:32 /job /sys/fs/cgroup/my\\040memory rw,relatime - cgroup cgroup rw,memory,clone_children\n"
        "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd\n"
        "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate\n"
        "42 31 0:38 / /elsewhere rw,relatime - cgroup2 cgroup2 rw\n"
    )
    assert mounts(info, frozenset({"cpu", "cpuacct", "memory"})) == {
        frozenset({"cpu", "cpuacct"}): ("/sys/fs/cgroup/cpu,cpuacct", "/"),
        frozenset({"memory"}): ("/sys/fs/cgroup/my memory", "/job"),
        frozenset({"name=systemd"}): ("/sys/fs/cgroup/systemd", "/"),
        frozenset(): ("/sys/fs/cgroup/unified", "/"),
    }
    assert memberships("4:memory:/job/step-0\n2:cpu,cpuacct:/\n0::/user.slice/a b.scope\n") == {
        frozenset({"memory"}): "/job/step-0",
        frozenset({"cpu", "cpuacct"}): "/",
        frozenset(): "/user.slice/a b.scope",
    }


_IDLE_IO = 3 << 13  # ioprio class 3 (idle), as `ionice -c3` sets it


@pytest.mark.skipif(os.uname().machine != "x86_64", reason="the test calls ioprio_get by its x86_64 number")
def test_a_caller_under_ionice_gives_its_command_the_same_io_priority_as_when_cold(launcher: Launcher):
    """`ionice -c3 stageward run ...`: a backfill that must not slow the disk for others stays idle when warm."""
    import ctypes

    def idle_io() -> None:
        if ctypes.CDLL(None, use_errno=True).syscall(251, 1, 0, _IDLE_IO) != 0:
            raise OSError(ctypes.get_errno(), "ioprio_set")

    show = (
        "import ctypes, os\n"
        "print('launcher', os.environ['STAGEWARD_CONFIG'].split('/')[2])\n"
        "print('ioprio', ctypes.CDLL(None).syscall(252, 1, 0))\n"
    )
    seen = _warm_and_cold(launcher, show, idle_io)
    assert seen["cold"]["ioprio"] == seen["warm"]["ioprio"] == [str(_IDLE_IO)]
