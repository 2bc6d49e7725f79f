"""The web UI's environments matrix: 500 assets x 4 environments, rendered server-side (goal: < 150 ms).

    .venv/bin/python benchmarks/web.py [--assets 500]

A real `stageward server` on a free loopback port over an embedded SQLite store seeded with ASSETS models in
each of the four environments (staging and production holding versions promoted from the tier below, so every
cell's difference mark is computed). A browser session holding one key per environment asks for `/`; the
server's own time per request (its log line) and the client's are reported, p50 and p95 over 40 requests.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ENVIRONMENTS = ("sandbox", "development", "staging", "production")
SOURCE = {"development": "sandbox", "staging": "development", "production": "staging"}


def seed(server: object, assets: int) -> None:
    """ASSETS models per environment, two versions each, @champion on one: written straight through the
    repositories in one transaction (registering 8,000 versions one verb at a time measures nothing here)."""
    from stageward.registry.files import ManifestEntry
    from stageward.store.db import registry_repo

    at, by = "2026-11-25T12:00:00.000000Z", "alice"
    with server.admin() as alice:  # type: ignore[attr-defined]
        ctx = alice.transport.context  # the in-process context of the local transport
        project = ctx.project.spec.project
        files = [ManifestEntry(path="model.bin", size=1, sha256="0" * 64)]
        with ctx.database.transaction(write=True) as conn:
            for env in ENVIRONMENTS:
                for index in range(assets):
                    name = f"model-{index:04d}"
                    asset_id = registry_repo.create_asset(conn, project, env, name, "model", at=at, by=by)
                    for version in (1, 2):
                        source = SOURCE.get(env)
                        registry_repo.insert_version(
                            conn, asset_id=asset_id, version=version, files=files, manifest_digest="0" * 64,
                            metrics={"auc": 0.9}, params={}, tags={}, run_id=None, git_commit=None,
                            config_digest=None, blob_store="file:///tmp", at=at, by=by,
                            promoted_from={"env": source, "name": name, "version": version} if source else None,
                        )
                    registry_repo.move_alias(conn, asset_id, "champion", 1 + index % 2, action="set", at=at, by=by)


def cpu_per_page(server: object, keys: list[str], requests: int) -> list[float]:
    """CPU milliseconds of one matrix page rendered in this process (the same code a worker runs): a figure
    the neighbours' load on a shared machine does not inflate, unlike the wall time of a request."""
    from starlette.requests import Request

    from stageward.server.settings import ServerSettings
    from stageward.server.state import ServerState
    from stageward.web.held import hold
    from stageward.web.routes import WebUI
    from stageward.web.session import Session

    os.environ.update(server.environ())  # type: ignore[attr-defined]
    state = ServerState(ServerSettings(project_dir=server.root))  # type: ignore[attr-defined]
    ui = WebUI(state)
    session = Session.fresh()
    for key in keys:
        session.keys[key.split("_")[1]] = key
    request = Request({"type": "http", "method": "GET", "path": "/", "query_string": b"", "headers": []})
    spent: list[float] = []
    for _ in range(requests):
        started = time.thread_time()
        ui.matrix_page(request, hold(state, session))
        spent.append((time.thread_time() - started) * 1000)
    state.close()
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--assets", type=int, default=500)
    parser.add_argument("--requests", type=int, default=40)
    options = parser.parse_args()

    from tests.server.support import team_server

    work = Path(tempfile.mkdtemp(prefix="stageward-web-bench-")) / "project"
    server = team_server(work, f"sqlite:///{work / '.stageward' / 'stageward.db'}")
    seed(server, options.assets)
    keys = [server.make_key(env, "alice", env) for env in ENVIRONMENTS]
    server.start()
    try:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
            assert token is not None
            for key in keys:
                client.post("/login", data={"csrf": token.group(1), "key": key})
            page = client.get("/")
            rows = page.text.count('<th scope="row">')
            assert page.status_code == 200 and rows == options.assets, (page.status_code, rows)
            client_ms: list[float] = []
            for _ in range(options.requests):
                started = time.perf_counter()
                client.get("/").raise_for_status()
                client_ms.append((time.perf_counter() - started) * 1000)
        server_ms = [float(m) for m in re.findall(r"GET / 200 ([\d.]+) ms", server.log)][-options.requests:]
    finally:
        server.stop()

    def line(label: str, values: list[float]) -> str:
        p95 = statistics.quantiles(values, n=20)[-1]
        return f"{label:<28} best {min(values):7.1f} ms   p50 {statistics.median(values):7.1f} ms   p95 {p95:7.1f} ms"

    print(f"matrix of {options.assets} assets x {len(ENVIRONMENTS)} environments ({len(page.content) // 1024} KiB)")
    print(line("server time per request", server_ms))
    print(line("client time per request", client_ms))
    print(line("CPU per page, in process", cpu_per_page(server, keys, options.requests)))
    verdict = "met" if statistics.median(server_ms) < 150 else "NOT met"
    # On a shared machine the p50 carries the neighbours' load; the CPU per page is the page's own cost.
    load = os.getloadavg()[0]
    print(f"goal < 150 ms server-side (p50 wall): {verdict}; load average {load:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
