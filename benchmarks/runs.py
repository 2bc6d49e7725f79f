"""Runs behind guardrails, beside what a user would otherwise run, all measured in this one run.

    .venv/bin/python benchmarks/runs.py [--repeat 9] [--no-ray] [--against OTHER/src]

1. `stageward run -- python -c pass` with every guardrail on (ref, clean tree, pinned image, data access,
   concurrency quota, budget, vulnerability scan) against `python -c pass` alone: goal < 250 ms added. Wall
   time (median) and the CPU seconds of the process tree (median) are printed: on a shared machine the CPU
   figure is the steadier one. `--against` times another source tree of Stageward in the same loop (say an
   export of the commit before a change), so a before/after pair shares the machine's load. The same command
   is timed once more with a warm launcher up (`stageward launcher start`): its CPU figure is the caller's
   alone, since the launcher that does the work is forked by the warm launcher, not by the caller.
2. The offline scan of a 300-package lockfile against 5,000 OSV advisories: goal < 1 s. pip-audit is not run:
   it cannot be fed advisories offline (its vulnerability services are the PyPI JSON API and the OSV web API,
   and `--no-deps`/`--disable-pip` do not change where advisories come from), so there is nothing equal to time.
3. A Ray run (`stageward run --executor ray`, every guardrail) against `ray job submit` of the same command on a
   local head started and stopped for it: goal within 1.2x (benchmarks/ray_runs.py, which also runs alone).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from guarded_project import IMAGE, guarded_project

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent


def _median(command: list[str], cwd: Path, env: dict[str, str], repeat: int) -> float:
    return _medians({"one": (command, env)}, cwd, repeat)["one"][0]


def _medians(
    commands: dict[str, tuple[list[str], dict[str, str]]], cwd: Path, repeat: int
) -> dict[str, tuple[float, float]]:
    """Each command REPEAT times, interleaved (so they share the machine's load): median wall and CPU seconds."""
    walls: dict[str, list[float]] = {name: [] for name in commands}
    cpus: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(repeat):
        for name, (command, env) in commands.items():
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            done = subprocess.run(command, cwd=cwd, env=env, capture_output=True)
            walls[name].append(time.perf_counter() - start)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpus[name].append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
            if done.returncode != 0:
                raise SystemExit(f"{' '.join(command)} failed: {done.stderr.decode()[-500:]}")
    return {name: (statistics.median(walls[name]), statistics.median(cpus[name])) for name in commands}


def _advisories(folder: Path, count: int, packages: int) -> None:
    folder.mkdir(exist_ok=True)
    for index in range(count):
        name = f"pkg{index % (packages * 3)}"  # a third of them name a package of the lockfile
        document = {
            "id": f"GHSA-bench-{index:05d}",
            "summary": "benchmark advisory",
            "affected": [
                {
                    "package": {"ecosystem": "PyPI", "name": name},
                    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": f"0.{index % 7}"}]}],
                    "versions": [f"0.0.{index % 5}"],
                }
            ],
            "database_specific": {"severity": ["LOW", "MODERATE", "HIGH"][index % 3]},
        }
        (folder / f"GHSA-bench-{index:05d}.json").write_text(json.dumps(document))


def guarded_run(work: Path, repeat: int, against: Path | None) -> dict[str, tuple[float, float]]:
    root = guarded_project(work / "guarded", lambda folder: _advisories(folder, 50, 30))
    # Bytecode is written (the first run below), as an installed package has it: compiling every module on each
    # start would time the compiler.
    env = {k: v for k, v in os.environ.items() if not k.startswith("STAGEWARD_") and k != "PYTHONDONTWRITEBYTECODE"}
    env.update({"STAGEWARD_USER": "bench", "XDG_CONFIG_HOME": str(work / "xdg")})
    command = [
        str(BIN / "stageward"), "run", "--env", "guarded", "--image", IMAGE,
        "--reads", "features", "--", sys.executable, "-c", "pass",
    ]  # fmt: skip
    commands = {
        "python": ([sys.executable, "-c", "pass"], env),
        "stageward": (command, {**env, "PYTHONPATH": str(ROOT / "src")}),
    }
    if against is not None:
        commands["against"] = (command, {**env, "PYTHONPATH": str(against)})
    # The same command with a warm launcher up (`stageward launcher start`), in its own runtime folder.
    runtime = work / "runtime"
    runtime.mkdir(mode=0o700)
    warm_env = {**env, "PYTHONPATH": str(ROOT / "src"), "XDG_RUNTIME_DIR": str(runtime)}
    commands["warm"] = (command, warm_env)
    launcher = [str(BIN / "stageward"), "launcher"]
    subprocess.run([*launcher, "start", "--idle", "600"], cwd=root, env=warm_env, check=True, capture_output=True)
    try:
        for _, (argv, environ) in list(commands.items())[1:]:
            subprocess.run(argv, cwd=root, env=environ, check=True, capture_output=True)  # the store, the bytecode
        return _medians(commands, root, repeat)
    finally:
        subprocess.run([*launcher, "stop"], cwd=root, env=warm_env, check=True, capture_output=True)


def scan_timing(work: Path) -> tuple[float, int]:
    from stageward.runs.scan import scan

    root = work / "scan"
    root.mkdir()
    (root / "requirements.lock").write_text("".join(f"pkg{i}==0.0.{i % 5}\n" for i in range(300)))
    _advisories(root / "advisories", 5000, 300)
    start = time.perf_counter()
    findings = scan(root / "requirements.lock", "requirements.lock", root / "advisories", "advisories/", ["HIGH"])
    return time.perf_counter() - start, len(findings)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--no-ray", action="store_true")
    parser.add_argument("--against", type=Path, help="another Stageward src folder, timed in the same loop")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sw-bench-runs-") as folder:
        work = Path(folder)
        timed = guarded_run(work, options.repeat, options.against)
        bare_wall, bare_cpu = timed["python"]
        print(f"python -c pass                       {bare_wall * 1000:8.1f} ms   (CPU {bare_cpu * 1000:.1f} ms)")
        labels = {
            "stageward": "stageward run, every guardrail on   ",
            "against": "  the same, --against source      ",
            "warm": "  the same, warm launcher up      ",
        }
        for name, label in labels.items():
            if name not in timed:
                continue
            wall, cpu = timed[name]
            whose = "the caller's CPU" if name == "warm" else "CPU"
            print(
                f"{label} {wall * 1000:8.1f} ms   (+{(wall - bare_wall) * 1000:.1f} ms; goal < 250;"
                f" {whose} {cpu * 1000:.1f} ms, +{(cpu - bare_cpu) * 1000:.1f})"
            )
        seconds, found = scan_timing(work)
        print(f"scan 300 pins x 5,000 advisories     {seconds * 1000:8.1f} ms   ({found} findings; goal < 1000)")
        print("pip-audit                            not run: it cannot read OSV advisories from a folder offline")
        if not options.no_ray:
            from ray_runs import compare  # the Ray comparison (every guardrail, rounds alternated) lives there

            stageward, ray = compare(work, max(5, options.repeat // 2))
            submit, ours = statistics.median(ray), statistics.median(stageward)
            print(f"ray job submit -- python -c pass     {submit * 1000:8.1f} ms")
            print(f"stageward run --executor ray         {ours * 1000:8.1f} ms   ({ours / submit:.2f}x; goal <= 1.2x)")


if __name__ == "__main__":
    main()
