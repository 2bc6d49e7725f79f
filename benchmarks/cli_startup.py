"""Whole-process start-up of the CLI: `stageward --help` and `stageward env list`, beside `python -c pass`.

Also reports which heavy modules each command imported, since start-up speed is
mostly a matter of not importing what a command does not need.

    .venv/bin/python benchmarks/cli_startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
HEAVY = ["sqlalchemy", "alembic", "boto3", "ray", "fastapi", "uvicorn", "rich", "jsonschema", "cryptography"]


def median_ms(command: list[str], cwd: Path, env: dict[str, str], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def imported(command: list[str], cwd: Path, env: dict[str, str]) -> list[str]:
    probe = (
        "import sys, runpy; sys.argv = sys.argv[1:];\n"
        "try:\n    runpy.run_module('stageward.cli.main', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, "stageward", *command], cwd=cwd, env=env, capture_output=True, text=True
    )
    lines = result.stderr.splitlines()
    return [m for m in (lines[-1] if lines else "").split(",") if m]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith("STAGEWARD_")}
    env["STAGEWARD_USER"] = "alice"
    root = Path(tempfile.mkdtemp(prefix="sw-bench-"))
    try:
        stageward = str(BIN / "stageward")
        subprocess.run([stageward, "init", "--project", "lp-bench", "--team", "lp"], cwd=root, env=env,
                       check=True, stdout=subprocess.DEVNULL)
        subprocess.run([stageward, "env", "list"], cwd=root, env=env, check=True, stdout=subprocess.DEVNULL)
        baseline = median_ms([sys.executable, "-c", "pass"], root, env, args.runs)
        rows = [("python -c pass", baseline, [])]
        for label, command in [
            ("stageward --help", ["--help"]),
            ("stageward env list --json", ["env", "list", "--json"]),
            ("stageward env list (table)", ["env", "list"]),
        ]:
            ms = median_ms([stageward, *command], root, env, args.runs)
            rows.append((label, ms, imported(command, root, env)))
        print(f"{'command':32} {'median ms':>10} {'x python':>9}  heavy modules imported")
        for label, ms, heavy in rows:
            print(f"{label:32} {ms:10.1f} {ms / baseline:9.1f}  {', '.join(heavy) or '-'}")
        help_ms = rows[1][1]
        verdict = "met" if help_ms < 100 else "MISSED"
        print(f"\ngoal (issue 11): stageward --help < 100 ms: {verdict} ({help_ms:.1f} ms); "
              "BENCHMARKS.md: <= 150 ms; dvc --help 184 ms, mlflow --help 3.9 s")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
