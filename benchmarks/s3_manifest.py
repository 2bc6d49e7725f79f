"""Publishing and registering a dataset of many small files on S3, beside MLflow's `log_artifacts` of the same files.

    .venv/bin/pip install -r benchmarks/requirements.txt
    .venv/bin/python benchmarks/s3_manifest.py [--files 1000] [--latency-ms 10]

A shard of a few KB costs S3 a round trip, not bandwidth, so what decides the time is how many round trips are
waited for one after another. moto's S3 server runs in its own process behind a loopback proxy that holds each
request LATENCY-MS before passing it on (a region's round trip; 0 measures moto alone, whose own CPU then
decides on a 2-core machine). Four lines, each on a fresh bucket:

- stageward, one at a time: `dataset publish` with files_in_flight and LOOKUPS_IN_FLIGHT set to 1 (lookups and
  small files one after another, as before they went several at once);
- stageward: `dataset publish` as shipped (the upload, then the register, which holds the store's write lock
  while it looks every blob up);
- stageward, again: the same files published a second time (every blob found and kept, nothing sent);
- MLflow: `log_artifacts` of the folder to an S3 artifact root (boto3's upload_file, a file after another).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")


class LatencyProxy:
    """A TCP proxy on loopback that holds each request DELAY seconds before the server sees it."""

    def __init__(self, target_port: int, delay: float) -> None:
        self.target_port = target_port
        self.delay = delay
        self.port = 0
        self._ready = threading.Event()
        self._loop = asyncio.new_event_loop()
        threading.Thread(target=self._serve, daemon=True).start()
        self._ready.wait(10)

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._pipe_client, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    async def _pipe_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", self.target_port)

        # HTTP/1.1 on a kept-alive connection: the first bytes the client sends after the server answered begin
        # its next request, and that request waits DELAY (a response is never held).
        answered = [True]

        async def forward(source: asyncio.StreamReader, sink: asyncio.StreamWriter, requests: bool) -> None:
            try:
                while data := await source.read(65536):
                    if requests and answered[0] and self.delay:
                        await asyncio.sleep(self.delay)
                    answered[0] = not requests
                    sink.write(data)
                    await sink.drain()
            finally:
                sink.close()

        await asyncio.gather(
            forward(reader, upstream_writer, True), forward(upstream_reader, writer, False), return_exceptions=True
        )


def shards(folder: Path, count: int) -> Path:
    folder.mkdir(parents=True)
    for index in range(count):
        (folder / f"shard-{index:05d}.csv").write_bytes(os.urandom(2048))
    return folder


def stageward_publish(work: Path, data: Path, bucket: str, *, serial: bool) -> tuple[float, float, float]:
    """Seconds of the upload and of the register of one publish, then of a second publish of the same files."""
    from tests.registry.support import project_with_production_blobs

    from stageward.client import Client, LocalTransport
    from stageward.store.blobs import s3
    from stageward.testing import write_project

    root = work / f"project-{bucket}"
    write_project(root, project_with_production_blobs(f"s3://{bucket}/blobs"))
    saved = (s3.LOOKUPS_IN_FLIGHT, s3.S3BlobStore.files_in_flight)
    if serial:
        s3.LOOKUPS_IN_FLIGHT, s3.S3BlobStore.files_in_flight = 1, 1
    client = Client(LocalTransport(root, principal="alice", environ={}))
    try:
        start = time.perf_counter()
        uploaded = client.call("dataset.upload", env="production", path=str(data))
        middle = time.perf_counter()
        client.call("dataset.register", env="production", name="shards", files=uploaded["files"])
        end = time.perf_counter()
        client.call("dataset.publish", env="production", name="shards", path=str(data))
        again = time.perf_counter()
    finally:
        s3.LOOKUPS_IN_FLIGHT, s3.S3BlobStore.files_in_flight = saved
        client.close()
    return middle - start, end - middle, again - end


def mlflow_log_artifacts(data: Path, bucket: str) -> float | str:
    try:
        from mlflow.store.artifact.s3_artifact_repo import S3ArtifactRepository
    except ImportError:
        return "not run: mlflow is not installed (pip install -r benchmarks/requirements.txt)"
    repository = S3ArtifactRepository(f"s3://{bucket}/artifacts")
    start = time.perf_counter()
    repository.log_artifacts(str(data), "shards")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--latency-ms", type=float, default=10.0)
    args = parser.parse_args()
    from tests.registry.support import MotoServer

    server = MotoServer(own_process=True).start()
    proxy = LatencyProxy(server.port, args.latency_ms / 1000)
    os.environ.update(server.environ)
    os.environ["AWS_ENDPOINT_URL_S3"] = os.environ["MLFLOW_S3_ENDPOINT_URL"] = f"http://127.0.0.1:{proxy.port}"
    try:
        with tempfile.TemporaryDirectory() as folder:
            work = Path(folder)
            data = shards(work / "data", args.files)
            for name in ("serial", "shipped", "mlflow"):
                server.bucket(name)
            serial = stageward_publish(work, data, "serial", serial=True)
            shipped = stageward_publish(work, data, "shipped", serial=False)
            mlflow = mlflow_log_artifacts(data, "mlflow")
    finally:
        server.stop()
    print(f"{args.files} files of 2 KB to S3 (moto in its own process, {args.latency_ms:g} ms added per request)")
    print(f"{'':40} {'upload':>9} {'register':>9} {'total':>9} {'again':>9}")
    for label, (upload, register, again) in (
        ("stageward, one request at a time", serial),
        ("stageward, as shipped", shipped),
    ):
        total = upload + register
        print(f"{label:40} {upload:8.2f}s {register:8.2f}s {total:8.2f}s {again:8.2f}s")
    if isinstance(mlflow, str):
        print(f"{'mlflow log_artifacts':40} {mlflow}")
    else:
        print(f"{'mlflow log_artifacts':40} {mlflow:8.2f}s {'-':>9} {mlflow:8.2f}s {'-':>9}")
    print(f"register (the write lock held): {serial[1] / shipped[1]:.1f}x shorter than one request at a time")


if __name__ == "__main__":
    main()
