"""Promote a 1 GB model within one blob store and across stores, beside `cp` and MLflow's copy_model_version.

    .venv/bin/pip install -r benchmarks/requirements.txt
    .venv/bin/python benchmarks/promotion.py [--size-mb 1024]

Prints each figure and the ratios, all measured in this one run on this machine.
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
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")

PROJECT = """\
project: bench
environments:
  staging:
    tier: staging
  production:
    tier: production
    promote_from: [staging]
    promotion: {{approvals: 0}}
  production-files:
    tier: production
    promote_from: [staging]
    promotion: {{approvals: 0}}
    blobs: file://./other-store
  production-s3:
    tier: production
    promote_from: [staging]
    promotion: {{approvals: 0}}
    blobs: s3://{bucket}/registry
  production-s3-again:
    tier: production
    promote_from: [staging]
    promotion: {{approvals: 0}}
    blobs: s3://{bucket}/registry-again
"""


def make_file(path: Path, size_mb: int) -> None:
    block = os.urandom(1 << 20)
    with open(path, "wb") as handle:
        for index in range(size_mb):
            handle.write(block[:-8] + index.to_bytes(8, "little"))


def timed(action) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def stageward_promotions(work: Path, model: Path, server: Any) -> tuple[dict[str, float], float]:
    """Our promotions, and boto3's upload_file of the same file to the same moto server: the S3 copies and the
    uploads alternate, two of each (the best of each counts), so a busy moment of a shared machine does not
    land on one side only."""
    from stageward.client import Client, LocalTransport
    from stageward.testing import write_project

    root = work / "project"
    write_project(root, PROJECT.format(bucket="bench-registry"))
    client = Client(LocalTransport(root, principal="alice", environ={}))
    results: dict[str, float] = {}
    try:
        start = time.perf_counter()
        uploaded = client.call("model.upload", env="staging", path=str(model))
        for _ in range(3):
            client.call("model.register", env="staging", name="ranker", files=uploaded["files"])
        results["register 1 file (upload + record)"] = time.perf_counter() - start

        def promote(target: str, version: int) -> None:
            # The request flow copies the bytes across stores, then executes.
            row = client.call(
                "promotion.request", env=target, source="staging", name="ranker", version=version
            )
            assert row["state"] == "executed", row

        same = [timed(lambda v=v: promote("production", v)) for v in (1, 2, 3)]
        results["same store"] = min(same)
        results["file -> file (other folder)"] = timed(lambda: promote("production-files", 1))
        to_s3, boto3_times = [], []
        for index, target in enumerate(("production-s3", "production-s3-again")):
            to_s3.append(timed(lambda t=target: promote(t, 1)))
            boto3_times.append(boto3_upload(model, server, index))
        results["file -> s3 (moto)"] = min(to_s3)
    finally:
        client.close()
    return results, min(boto3_times)


def boto3_upload(model: Path, server: Any, index: int) -> float:
    """boto3's own upload_file of the same file to the same moto server (its defaults: 8 MB parts, 10 threads)."""
    client = server.client()
    if index == 0:
        server.bucket("bench-boto3")
    return timed(lambda: client.upload_file(str(model), "bench-boto3", f"model-{index}.bin"))


def mlflow_copy(work: Path, model: Path) -> dict[str, float]:
    import logging

    logging.getLogger("mlflow").setLevel(logging.ERROR)
    import mlflow
    from mlflow import MlflowClient

    mlflow.set_tracking_uri(f"sqlite:///{work / 'mlflow.db'}")
    mlflow.set_registry_uri(f"sqlite:///{work / 'mlflow.db'}")
    experiment = mlflow.create_experiment("bench", artifact_location=(work / "mlartifacts").as_uri())
    client = MlflowClient()
    with mlflow.start_run(experiment_id=experiment) as run:
        mlflow.log_artifact(str(model), artifact_path="model")
    client.create_registered_model("ranker-staging")
    client.create_model_version("ranker-staging", f"runs:/{run.info.run_id}/model", run_id=run.info.run_id)
    times = []
    for index in range(3):
        name = f"ranker-production-{index}"
        times.append(timed(lambda n=name: client.copy_model_version("models:/ranker-staging/1", n)))
    return {"MLflow copy_model_version (points at the run's files)": min(times)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mb", type=int, default=1024)
    args = parser.parse_args()
    from tests.registry.support import MotoServer

    work = Path(tempfile.mkdtemp(prefix="sw-bench-promotion-"))
    server = MotoServer(own_process=True).start()
    os.environ.update(server.environ)
    try:
        server.bucket("bench-registry")
        model = work / "model.bin"
        make_file(model, args.size_mb)
        print(f"model: {args.size_mb} MB")
        (work / "cp").mkdir()
        cp_times = []
        for index in range(2):
            cp_times.append(
                timed(
                    lambda i=index: subprocess.run(["cp", str(model), str(work / "cp" / f"c{i}")], check=True)
                )
            )
        cp = min(cp_times)
        durable = []
        for index in range(2):
            target = work / "cp" / f"d{index}"
            durable.append(
                timed(
                    lambda t=target: (
                        subprocess.run(["cp", str(model), str(t)], check=True)
                        or subprocess.run(["sync", str(t)], check=True)
                    )
                )
            )
        cp_sync = min(durable)
        shutil.rmtree(work / "cp")
        ours, boto3_seconds = stageward_promotions(work, model, server)
        try:
            theirs = mlflow_copy(work, model)
        except ImportError:
            theirs = {}
            print("mlflow is not installed: pip install -r benchmarks/requirements.txt")
        print(f"\n{'job':58} {'seconds':>9}  ratio")
        print(f"{'cp of the same file':58} {cp:9.3f}  1.00x cp")
        print(
            f"{'cp, then sync of the copy (durable, as stageward is)':58} {cp_sync:9.3f}  {cp_sync / cp:.2f}x cp"
        )
        for label, seconds in ours.items():
            print(f"{'stageward ' + label:58} {seconds:9.3f}  {seconds / cp:.2f}x cp")
        for label, seconds in theirs.items():
            print(f"{label:58} {seconds:9.3f}  {seconds / cp:.2f}x cp")
        print(f"{'boto3 upload_file of the same file, same moto server':58} {boto3_seconds:9.3f}  "
              f"{boto3_seconds / cp:.2f}x cp")
        if theirs:
            mlflow_seconds = next(iter(theirs.values()))
            print(
                "\nsame-store promotion vs MLflow copy_model_version: "
                f"{ours['same store'] / mlflow_seconds:.2f}x its time"
            )
        print(
            f"goal (a) same store < 50 ms: {'met' if ours['same store'] < 0.05 else 'MISSED'} "
            f"({ours['same store'] * 1000:.1f} ms)"
        )
        crossing = ours["file -> file (other folder)"] / cp
        print(f"goal (b) other store <= 1.3x cp: {'met' if crossing <= 1.3 else 'MISSED'} ({crossing:.2f}x)")
        durable_ratio = ours["file -> file (other folder)"] / cp_sync
        print(f"    against cp + sync (both durable): {durable_ratio:.2f}x")
        to_s3 = ours["file -> s3 (moto)"] / boto3_seconds
        print(
            f"goal (c) file -> s3 <= 1.2x boto3 upload_file: {'met' if to_s3 <= 1.2 else 'MISSED'} ({to_s3:.2f}x: "
            f"{ours['file -> s3 (moto)']:.3f} s against {boto3_seconds:.3f} s, rehash at the destination included)"
        )
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
