"""Registry operations per second beside MLflow's registry in-process, and memory while registering GBs.

    .venv/bin/pip install -r benchmarks/requirements.txt
    .venv/bin/python benchmarks/registry.py [--n 300] [--memory-gb 2] [--wide 1000,20000] [--wide-only]

Both sides run in this process on a local SQLite file: Stageward's embedded store
(each write with its audit entry and, for aliases, its history row) and MLflow's
sqlite registry. Register records a version of files already in the store (MLflow:
create_model_version of a run's artifacts), so neither copies bytes.

--wide: registering one version of a dataset of N small files (its blobs already in the store), the time of one
register (best of three) in local mode (no blob wall), in process with the server's flag on (the wall of
SPEC §12 checked), and through a real `stageward server` over HTTP; the wall's share is (flag - local) / flag.
Two cases: blobs no other project holds, and blobs another project of the same store holds too.
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


SECOND_PROJECT = """\
project: ml-churn
team: ml
environments:
  staging: {tier: staging}
"""


def best_ms(rounds: list[float]) -> float:
    return min(rounds) * 1000


def wide_register(work: Path, sizes: list[int]) -> list[dict[str, float | int | str]]:
    """Per manifest size and case: one register's time in local mode, with the server's flag, and over HTTP."""
    import stageward
    from server import free_port, start, stop, wait_ready  # benchmarks/server.py: one way to run a server
    from stageward.client import Client, HttpTransport, LocalTransport
    from stageward.project.loader import load_project
    from stageward.service.context import Context
    from stageward.testing import write_project

    root, other = work / "wide-lp", work / "wide-ml"
    write_project(root)
    write_project(other, SECOND_PROJECT)
    environ = {
        "STAGEWARD_MASTER_KEY_FILE": str(work / "keys" / "master.key"),
        "STAGEWARD_STORE": f"sqlite:///{work / 'wide.db'}",
        "STAGEWARD_BLOBS": f"file://{work / 'wide-blobs'}",  # one store both projects share (one bucket)
        "HOME": str(work / "home"),
    }
    local = Client(LocalTransport(root, principal="alice", environ=environ))
    neighbour = Client(LocalTransport(other, principal="alice", environ=environ))
    flagged_ctx = Context(
        project=load_project(root / "stageward.yaml"),
        principal="alice",
        store_url=environ["STAGEWARD_STORE"],
        environ=environ,
        process_environment=False,  # what the server sets: register checks the blob wall
    )
    flagged = Client(LocalTransport(context=flagged_ctx))
    key = local.call("keys.create", principal="alice", env="staging")["key"]
    neighbour.call("policy.history")  # ml-churn registered in the store
    port = free_port()
    code = str(Path(stageward.__file__).resolve().parents[1])  # the server runs the code measured in process
    server = start(
        [str(Path(sys.executable).parent / "stageward"), "server", "--port", str(port), "--workers", "1"],
        cwd=root,
        env={**os.environ, **environ, "PYTHONPATH": code},
    )
    remote = Client(HttpTransport(f"http://127.0.0.1:{port}", key))
    results: list[dict[str, float | int | str]] = []
    try:
        wait_ready(port, "/healthz", server, time.perf_counter())
        for size in sizes:
            data = work / f"wide-{size}"
            data.mkdir()
            for index in range(size):
                (data / f"shard-{index:05d}.txt").write_text(f"shard {size} {index}\n")
            files = local.call("dataset.upload", env="staging", path=str(data))["files"]
            shutil.rmtree(data)
            name = f"shards-{size}"
            for case in ("only this project", "another project too"):
                if case == "another project too":
                    neighbour.call("dataset.register", env="staging", name=name, files=files)
                timings: dict[str, list[float]] = {"local": [], "flag": [], "http": []}
                for _ in range(3):  # interleaved: each register adds N rows the next lookups walk past
                    for mode, client in (("local", local), ("flag", flagged), ("http", remote)):
                        started = time.perf_counter()
                        client.call("dataset.register", env="staging", name=name, files=files)
                        timings[mode].append(time.perf_counter() - started)
                local_ms, flag_ms = best_ms(timings["local"]), best_ms(timings["flag"])
                results.append(
                    {
                        "files": size,
                        "case": case,
                        "local_ms": local_ms,
                        "flag_ms": flag_ms,
                        "http_ms": best_ms(timings["http"]),
                        "wall_share": max(flag_ms - local_ms, 0.0) / flag_ms,
                    }
                )
    finally:
        remote.close()
        stop(server)
        for client in (local, neighbour, flagged):
            client.close()
    return results


def print_wide(results: list[dict[str, float | int | str]]) -> None:
    print(f"\n{'register one version':22} {'case':22} {'local ms':>9} {'flag ms':>9} {'wall share':>10} {'HTTP ms':>9}")
    for row in results:
        print(
            f"{str(row['files']) + ' files':22} {row['case']!s:22} {row['local_ms']:9.0f} {row['flag_ms']:9.0f} "
            f"{row['wall_share']:10.0%} {row['http_ms']:9.0f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--memory-gb", type=float, default=2.0)
    parser.add_argument("--wide", default="1000,20000", help="manifest sizes of the wide register, comma-separated")
    parser.add_argument("--wide-only", action="store_true", help="measure the wide register alone")
    args = parser.parse_args()
    sizes = [int(size) for size in args.wide.split(",") if size]
    work = Path(tempfile.mkdtemp(prefix="sw-bench-registry-"))
    try:
        if args.wide_only:
            print_wide(wide_register(work, sizes))
            return
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
        if sizes:
            print_wide(wide_register(work, sizes))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
