"""Registry operations per second beside MLflow's registry in-process, and memory while registering GBs.

    .venv/bin/pip install -r benchmarks/requirements.txt
    .venv/bin/python benchmarks/registry.py [--n 300] [--memory-gb 2]

Both sides run in this process on a local SQLite file: Stageward's embedded store
(each write with its audit entry and, for aliases, its history row) and MLflow's
sqlite registry. Register records a version of files already in the store (MLflow:
create_model_version of a run's artifacts), so neither copies bytes.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")


def rate(n: int, action) -> float:  # type: ignore[no-untyped-def]
    """Operations per second: the best of three rounds, as the machine is shared."""
    best = 0.0
    for round_ in range(3):
        start = time.perf_counter()
        for index in range(n):
            action(round_ * n + index)
        best = max(best, n / (time.perf_counter() - start))
    return best


def stageward_rates(work: Path, n: int) -> dict[str, float]:
    from stageward.client import Client, LocalTransport
    from stageward.testing import write_project

    root = work / "project"
    write_project(root)
    (root / "model.bin").write_bytes(b"weights")
    client = Client(LocalTransport(root, principal="alice", environ={}))
    try:
        files = client.call("model.upload", env="staging", path=str(root / "model.bin"))["files"]
        client.call("model.register", env="staging", name="ranker", files=files)  # warm up
        register = rate(
            n, lambda i: client.call("model.register", env="staging", name="ranker", files=files)
        )
        alias = rate(
            n,
            lambda i: client.call(
                "model.alias_set", env="staging", name="ranker", version=1 + i % 2 + 1, alias="champion"
            ),
        )
        resolve = rate(
            n, lambda i: client.call("model.show", env="staging", ref="staging/ranker@champion")
        )
    finally:
        client.close()
    return {"register a version": register, "move an alias": alias, "resolve ENV/NAME@ALIAS": resolve}


def mlflow_rates(work: Path, n: int) -> dict[str, float]:
    import logging

    logging.getLogger("mlflow").setLevel(logging.ERROR)
    import mlflow
    from mlflow import MlflowClient

    uri = f"sqlite:///{work / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    experiment = mlflow.create_experiment("bench", artifact_location=(work / "mlartifacts").as_uri())
    (work / "model.bin").write_bytes(b"weights")
    with mlflow.start_run(experiment_id=experiment) as run:
        mlflow.log_artifact(str(work / "model.bin"), artifact_path="model")
    client = MlflowClient()
    client.create_registered_model("ranker")
    source = f"runs:/{run.info.run_id}/model"
    client.create_model_version("ranker", source, run_id=run.info.run_id)
    register = rate(n, lambda i: client.create_model_version("ranker", source, run_id=run.info.run_id))
    alias = rate(n, lambda i: client.set_registered_model_alias("ranker", "champion", str(1 + i % 2 + 1)))
    resolve = rate(n, lambda i: client.get_model_version_by_alias("ranker", "champion"))
    return {"register a version": register, "move an alias": alias, "resolve ENV/NAME@ALIAS": resolve}


MEMORY_PROBE = """
import sys
from pathlib import Path
from stageward.client import Client, LocalTransport
root, path = Path(sys.argv[1]), sys.argv[2]
client = Client(LocalTransport(root, principal="alice", environ={}))
files = client.call("model.upload", env="staging", path=path)["files"]
client.call("model.register", env="staging", name="big", files=files)
client.close()
# VmHWM: this process image's peak resident memory (ru_maxrss would carry the forking parent's peak).
print(next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:")))
"""


def memory_probe(work: Path, size_mb: int) -> int:
    from stageward.testing import write_project

    root = work / f"memory-{size_mb}"
    write_project(root)
    data = root / "data.bin"
    block = os.urandom(1 << 20)
    with open(data, "wb") as handle:  # real bytes, not a sparse file
        for index in range(size_mb):
            handle.write(block[:-8] + index.to_bytes(8, "little"))
    out = subprocess.run(
        [sys.executable, "-c", MEMORY_PROBE, str(root), str(data)], capture_output=True, text=True, check=True
    )
    shutil.rmtree(root, ignore_errors=True)
    return int(out.stdout.strip().splitlines()[-1]) // 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--memory-gb", type=float, default=2.0)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sw-bench-registry-"))
    try:
        ours = stageward_rates(work, args.n)
        try:
            theirs = mlflow_rates(work, args.n)
        except ImportError:
            theirs = {}
            print("mlflow is not installed: pip install -r benchmarks/requirements.txt")
        print(f"{'operation':28} {'stageward/s':>12} {'ms':>7} {'mlflow/s':>10} {'ms':>7}  ratio")
        for label, ours_rate in ours.items():
            theirs_rate = theirs.get(label)
            if theirs_rate:
                print(
                    f"{label:28} {ours_rate:12.0f} {1000 / ours_rate:7.2f} {theirs_rate:10.0f} "
                    f"{1000 / theirs_rate:7.2f}  {ours_rate / theirs_rate:.1f}x"
                )
            else:
                print(f"{label:28} {ours_rate:12.0f} {1000 / ours_rate:7.2f}")
        small = memory_probe(work, 8)
        large_mb = int(args.memory_gb * 1024)
        large = memory_probe(work, large_mb)
        print(
            f"\npeak RSS registering 8 MB: {small} MB; registering {large_mb} MB: {large} MB "
            f"({large - small:+d} MB): {'flat' if large - small < 64 else 'NOT flat'}"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
