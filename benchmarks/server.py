"""The team server beside MLflow's tracking server, both started here, in the same run, on loopback.

    .venv/bin/python benchmarks/server.py [--n 2000] [--workers 2] [--seconds 5]

1. Start to ready: from spawning the server to the first 200 on its health route (Stageward /healthz, MLflow
   /health), on a store that already holds the model.
2. Get-by-alias over REST, one keep-alive client: Stageward GET /api/v1/envs/development/models/ranker@champion,
   MLflow GET /api/2.0/mlflow/registered-models/alias?name=ranker&alias=champion. Requests per second and p50.
3. The same with 8 keep-alive clients (threads), both servers with the same worker count.

Both servers answer the same client code (http.client over one kept-alive connection per client), so the
client costs the same on both sides. Goals (issue 13): >= 200 req/s and p50 < 5 ms with one client; >= 2x
MLflow with 8; ready in < 2 s.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(port: int, path: str, process: subprocess.Popen[bytes], started: float, timeout: float = 120) -> float:
    """Seconds from STARTED until PATH answers 200."""
    while time.perf_counter() - started < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            connection.request("GET", path)
            if connection.getresponse().status == 200:
                return time.perf_counter() - started
        except OSError:
            pass
        time.sleep(0.01)
    raise RuntimeError(f"no 200 on {path} within {timeout} s")


def start(command: list[str], **options: object) -> subprocess.Popen[bytes]:
    """COMMAND in a session of its own, so stop() ends every process it spawns (workers, job runners)."""
    return subprocess.Popen(  # type: ignore[call-overload, no-any-return]
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True, **options
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    """End PROCESS and everything it started (MLflow's server leaves job-runner processes behind otherwise)."""
    import signal

    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # whatever of the group outlived its leader


def one_client(port: int, path: str, headers: dict[str, str], n: int) -> list[float]:
    """Latencies (s) of N GETs over one kept-alive connection; every answer must be a 200."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    latencies = []
    for _ in range(n):
        start = time.perf_counter()
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        response.read()
        latencies.append(time.perf_counter() - start)
        if response.status != 200:
            raise RuntimeError(f"{path} answered {response.status}")
    connection.close()
    return latencies


def many_clients(port: int, path: str, headers: dict[str, str], clients: int, seconds: float) -> float:
    """Requests per second served to CLIENTS kept-alive clients, each asking as fast as answered, for SECONDS."""
    done = [0] * clients
    stop_at = time.perf_counter() + seconds
    failures: list[str] = []

    def work(index: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while time.perf_counter() < stop_at:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                failures.append(str(response.status))
                return
            done[index] += 1
        connection.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise RuntimeError(f"answers other than 200: {failures[:3]}")
    return sum(done) / (time.perf_counter() - started)


def measure(port: int, path: str, headers: dict[str, str], n: int, seconds: float) -> dict[str, float]:
    one_client(port, path, headers, 50)  # warm up (imports on first use, connection pools)
    latencies = one_client(port, path, headers, n)
    return {
        "one_rps": n / sum(latencies),
        "one_p50_ms": statistics.median(latencies) * 1000,
        "one_p99_ms": sorted(latencies)[int(len(latencies) * 0.99)] * 1000,
        "eight_rps": many_clients(port, path, headers, 8, seconds),
    }


# -- Stageward ------------------------------------------------------------------------------------------------------


def stageward_side(work: Path, workers: int, n: int, seconds: float) -> dict[str, float]:
    sys.path.insert(0, str(ROOT / "src"))
    from stageward.client import Client, LocalTransport
    from stageward.testing import write_project

    root = work / "stageward"
    write_project(root)
    (root / "model.bin").write_bytes(b"weights" * 1000)
    environ = {
        "STAGEWARD_MASTER_KEY_FILE": str(work / "keys" / "master.key"),
        "STAGEWARD_STORE": f"sqlite:///{root / '.stageward' / 'stageward.db'}",
    }
    with Client(LocalTransport(root, principal="alice", environ=environ)) as alice:
        alice.call("model.publish", env="development", name="ranker", path=str(root / "model.bin"))
        alice.call("model.alias_set", env="development", name="ranker", version=1, alias="champion")
        alice.call("access.grant", principal="bob", role="developer", env="development")
        key = alice.call("keys.create", principal="bob", env="development")["key"]
    port = free_port()
    env = {**os.environ, **environ, "PYTHONPATH": str(ROOT / "src")}
    started = time.perf_counter()
    command = [str(BIN / "stageward"), "server", "--port", str(port), "--workers", str(workers)]
    process = start(command, cwd=root, env=env)
    try:
        ready = wait_ready(port, "/healthz", process, started)
        path = "/api/v1/envs/development/models/ranker@champion"
        check = http.client.HTTPConnection("127.0.0.1", port)
        check.request("GET", path, headers={"Authorization": f"Bearer {key}"})
        assert json.loads(check.getresponse().read())["version"] == 1
        return {"ready_s": ready, **measure(port, path, {"Authorization": f"Bearer {key}"}, n, seconds)}
    finally:
        stop(process)


# -- MLflow ---------------------------------------------------------------------------------------------------------


def mlflow_side(work: Path, workers: int, n: int, seconds: float) -> dict[str, float]:
    root = work / "mlflow"
    root.mkdir()
    store = f"sqlite:///{root / 'mlflow.db'}"
    port = free_port()
    command = [
        str(BIN / "mlflow"), "server", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
        "--backend-store-uri", store, "--default-artifact-root", str(root / "artifacts"),
    ]
    # A first start creates and migrates its database: timed on the second, as ours is on a store that exists.
    process = start(command, cwd=root)
    try:
        wait_ready(port, "/health", process, time.perf_counter())
        from mlflow import MlflowClient

        client = MlflowClient(tracking_uri=f"http://127.0.0.1:{port}")
        client.create_registered_model("ranker")
        client.create_model_version("ranker", source="s3://bench-artifacts/ranker")  # a URI it does not check
        client.set_registered_model_alias("ranker", "champion", "1")
    finally:
        stop(process)
    started = time.perf_counter()
    process = start(command, cwd=root)
    try:
        ready = wait_ready(port, "/health", process, started)
        path = "/api/2.0/mlflow/registered-models/alias?name=ranker&alias=champion"
        return {"ready_s": ready, **measure(port, path, {}, n, seconds)}
    finally:
        stop(process)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2000, help="requests of the one-client run")
    parser.add_argument("--workers", type=int, default=2, help="worker processes of each server")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of the 8-client run")
    options = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="stageward-bench-server-"))
    try:
        # One client is measured against one worker of ours; the 8-client run uses the same count on both sides.
        ours_one = stageward_side(work / "one", 1, options.n, 1.0)
        print("stageward, 1 worker:", {k: round(v, 2) for k, v in ours_one.items()}, flush=True)
        ours = stageward_side(work / "many", options.workers, 200, options.seconds)
        theirs = mlflow_side(work, options.workers, max(options.n // 10, 100), options.seconds)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    rows = [
        ("start to 200 on the health route (s)", ours_one["ready_s"], theirs["ready_s"]),
        ("get-by-alias, 1 client: req/s", ours_one["one_rps"], theirs["one_rps"]),
        ("get-by-alias, 1 client: p50 (ms)", ours_one["one_p50_ms"], theirs["one_p50_ms"]),
        ("get-by-alias, 1 client: p99 (ms)", ours_one["one_p99_ms"], theirs["one_p99_ms"]),
        (f"get-by-alias, 8 clients, {options.workers} workers: req/s", ours["eight_rps"], theirs["eight_rps"]),
    ]
    print(f"{'':58} {'stageward':>10} {'mlflow':>10} {'ratio':>7}")
    for label, mine, other in rows:
        better = other / mine if "ms" in label or "(s)" in label else mine / other
        print(f"{label:58} {mine:10.2f} {other:10.2f} {better:6.1f}x")
    print(
        "\nratio: how many times better Stageward does (for times: theirs / ours; for rates: ours / theirs).\n"
        f"goals: ready < 2 s ({'met' if ours_one['ready_s'] < 2 else 'MISSED'}), 1 client >= 200 req/s "
        f"({'met' if ours_one['one_rps'] >= 200 else 'MISSED'}) and p50 < 5 ms "
        f"({'met' if ours_one['one_p50_ms'] < 5 else 'MISSED'}), 8 clients >= 2x MLflow "
        f"({'met' if ours['eight_rps'] >= 2 * theirs['eight_rps'] else 'MISSED'})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
