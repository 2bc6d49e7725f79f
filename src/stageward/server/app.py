"""The FastAPI app of one server process: catalogue routes, blob routes, /healthz, /metrics, /openapi.json."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from stageward.server.settings import ServerSettings


def create_app(settings: ServerSettings) -> FastAPI:
    """The app over the store of the project in SETTINGS.project_dir; the store must exist (StoreError)."""
    from stageward import __version__
    from stageward.server.blob_routes import BLOB_PATH, BlobRoutes
    from stageward.server.deliverer import Deliverer
    from stageward.server.events import EventStream
    from stageward.server.metrics import Metrics, MetricsMiddleware
    from stageward.server.openapi import document
    from stageward.server.responses import json_response, plain_error
    from stageward.server.routes import route_path, verb_endpoint
    from stageward.server.scheduler import Scheduler
    from stageward.server.state import ServerState
    from stageward.service.catalogue import load_all

    state = ServerState(settings)
    metrics = Metrics()
    specs = [spec for spec in load_all().values() if spec.http is not None]
    deliverer = Deliverer(state, metrics)
    scheduler = Scheduler(state)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        deliverer.start()
        scheduler.start()
        try:
            yield
        finally:
            scheduler.stop()
            deliverer.stop()
            state.close()

    app = FastAPI(
        title="Stageward", version=__version__, docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan
    )
    app.state.server = state

    async def healthz(_: Request) -> Response:
        return json_response({"status": "ok"})

    async def metrics_page(_: Request) -> Response:
        from prometheus_client import CONTENT_TYPE_LATEST

        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    openapi: list[Response] = []  # built on first request: a server is ready before anyone reads its schema

    async def openapi_json(_: Request) -> Response:
        if not openapi:
            openapi.append(json_response(document(specs, __version__)))
        return openapi[0]

    app.add_api_route("/healthz", healthz, methods=["GET"], include_in_schema=False)
    app.add_api_route("/metrics", metrics_page, methods=["GET"], include_in_schema=False)
    app.add_api_route("/openapi.json", openapi_json, methods=["GET"], include_in_schema=False)
    blobs = BlobRoutes(state, metrics)
    app.add_api_route(BLOB_PATH, blobs.upload, methods=["PUT"], include_in_schema=False)
    app.add_api_route(BLOB_PATH, blobs.download, methods=["GET"], include_in_schema=False)
    # Routes whose last segment spans slashes ({ref:path}) go last, so they never shadow a longer route.
    for spec in sorted(specs, key=lambda spec: ":path}" in route_path(spec)):
        assert spec.http is not None
        app.add_api_route(
            route_path(spec), verb_endpoint(spec, state, metrics), methods=[spec.http[0]], include_in_schema=False
        )

    async def http_error(_: Request, error: Any) -> Response:
        # Unknown routes and methods answer in the same error shape as everything else.
        status = error.status_code if isinstance(error, HTTPException) else 500
        code = {404: "not_found", 405: "method_not_allowed"}.get(status, "http_error")
        return plain_error(status, code, str(error.detail) if isinstance(error, HTTPException) else "error")

    from stageward.web import mount as mount_web_ui

    mount_web_ui(app, state)  # the web UI at / (SPEC §9), its routes beside /api/v1
    app.add_exception_handler(HTTPException, http_error)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    app.add_api_route("/api/v1/events", EventStream(state).stream, methods=["GET"], include_in_schema=False)
    return app


def app_from_environ() -> FastAPI:
    """Uvicorn's factory (`stageward server` runs it in each worker process): settings from the environment."""
    return create_app(ServerSettings.from_environ())
