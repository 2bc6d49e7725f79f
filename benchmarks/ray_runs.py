"""A Ray run against `ray job submit` of the same command on the same local head, side by side in one run.

    .venv/bin/python benchmarks/ray_runs.py [--repeat 7]

`stageward run --executor ray -- python -c pass` in an environment with every guardrail (ref, clean tree, pinned
image, data access, concurrency quota, budget, vulnerability scan), the config pulled by the job over the one-shot
channel and the log followed, against `ray job submit --address ... -- python -c pass`, which also follows the
log to the job's end. The two alternate, one of each per round, so a machine busy for a while slows both alike.
Goal: within 1.2x. The head is started on free ports and stopped after (tests/runs/rayhead.py).
"""

from __future__ import annotations

import argparse
import os
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
ADVISORY = (
    '{"id": "GHSA-bench", "affected": [{"package": {"ecosystem": "PyPI", "name": "dep1"}, '
    '"ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.0"}]}]}], '
    '"database_specific": {"severity": "HIGH"}}'
)


def _project(root: Path) -> None:
    guarded_project(root, lambda folder: (folder / "GHSA-bench.json").write_text(ADVISORY))


def _timed(command: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command[:6])} ... failed: {done.stderr.decode()[-800:]}")
    return seconds


def compare(work: Path, repeat: int) -> tuple[list[float], list[float]]:
    from tests.runs.rayhead import RayHead

    root = work / "project"
    _project(root)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STAGEWARD_", "RAY_"))}
    env.update({"PYTHONPATH": str(ROOT / "src"), "STAGEWARD_USER": "bench", "XDG_CONFIG_HOME": str(work / "xdg")})
    head = RayHead().start(env)
    try:
        env.update({"STAGEWARD_RAY_ADDRESS": head.address, "STAGEWARD_RAY_PYTHON": sys.executable})
        ours = [
            str(BIN / "stageward"), "run", "--env", "guarded", "--image", IMAGE,
            "--reads", "features", "--executor", "ray", "--", sys.executable, "-c", "pass",
        ]  # fmt: skip
        theirs = [str(BIN / "ray"), "job", "submit", "--address", head.address, "--", sys.executable, "-c", "pass"]
        _timed(ours, root, env)  # the store is made and Ray's job machinery warmed up, for both
        _timed(theirs, root, env)
        stageward, ray = [], []
        for _ in range(repeat):
            stageward.append(_timed(ours, root, env))
            ray.append(_timed(theirs, root, env))
        return stageward, ray
    finally:
        head.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    options = parser.parse_args()
    if options.repeat < 5:
        parser.error("--repeat: at least 5, for a median worth reading")
    with tempfile.TemporaryDirectory(prefix="sw-bench-ray-") as folder:
        stageward, ray = compare(Path(folder), options.repeat)
    ours, theirs = statistics.median(stageward), statistics.median(ray)
    print(f"{'command (python -c pass, same local head)':46} {'median':>9} {'min':>9} {'max':>9}")
    for name, samples in (("ray job submit", ray), ("stageward run --executor ray, all guardrails", stageward)):
        print(f"{name:46} {statistics.median(samples):8.2f}s {min(samples):8.2f}s {max(samples):8.2f}s")
    print(f"ratio {ours / theirs:.2f}x over {options.repeat} rounds (goal <= 1.20x)")


if __name__ == "__main__":
    main()
