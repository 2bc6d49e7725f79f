"""Running the server: Uvicorn with one app per worker process; workers share nothing but the store."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path

from stageward.server.settings import PROJECT_VARIABLE, ServerSettings

log = logging.getLogger("stageward.server")


def serve(*, host: str, port: int, workers: int, project_dir: Path) -> None:
    """Serve until interrupted. The store is checked before the port opens, so a bad start fails at once."""
    import uvicorn

    os.environ[PROJECT_VARIABLE] = str(project_dir.resolve())
    settings = ServerSettings.from_environ()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Uvicorn's access log prints each URL with its query string; ours (metrics.py) names the route template only.
    from stageward.server.protocol import PROTOCOL

    options = {
        "host": host,
        "port": port,
        "access_log": False,
        "log_level": "info",
        "timeout_keep_alive": 30,
        "timeout_graceful_shutdown": 5,  # open keep-alive and SSE connections do not hold a stop
        "http": PROTOCOL,
    }
    if workers == 1:
        from stageward.server.app import create_app

        uvicorn.run(create_app(settings), **options)  # type: ignore[arg-type]
        return
    from stageward.server.state import ServerState

    ServerState(settings).close()  # the same checks each worker makes, reported once, before any worker starts
    metrics_dir = tempfile.mkdtemp(prefix="stageward-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    try:
        uvicorn.run("stageward.server.app:app_from_environ", factory=True, workers=workers, **options)  # type: ignore[arg-type]
    finally:
        shutil.rmtree(metrics_dir, ignore_errors=True)
