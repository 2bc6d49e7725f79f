"""Prometheus metrics of one server: requests, latency, promotions, denials and webhook deliveries.

With several Uvicorn workers each is its own process; `stageward server` then points
PROMETHEUS_MULTIPROC_DIR at a fresh folder before they start, and /metrics sums every worker's files.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("stageward.server")

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
PROMOTION_VERBS = frozenset(
    {"promotion.request", "promotion.approve", "promotion.reject", "promotion.execute"}
)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "stageward_http_requests", "HTTP requests served", ["method", "route", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "stageward_http_request_seconds",
            "Time from request to the end of the response",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.promotions = Counter(
            "stageward_promotion_actions", "Promotion requests, approvals, rejections and executions done",
            ["action"], registry=self.registry,
        )
        self.webhook_deliveries = Counter(
            "stageward_webhook_deliveries", "Webhook delivery attempts by outcome (delivered, retry, failed)",
            ["outcome"], registry=self.registry,
        )
        self.denials = Counter(
            "stageward_denials", "Acts refused for a missing permission (403)", ["verb"], registry=self.registry
        )

    def verb_done(self, verb: str) -> None:
        if verb in PROMOTION_VERBS:
            self.promotions.labels(action=verb.split(".", 1)[1]).inc()

    def exposition(self) -> bytes:
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            from prometheus_client import multiprocess

            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
            return generate_latest(registry)
        return generate_latest(self.registry)


class MetricsMiddleware:
    """Counts each request and times it, labelled by its route template (bounded), never by its raw path."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route: Any = scope.get("route")
            template = getattr(route, "path_format", None) or getattr(route, "path", None) or "unmatched"
            method = scope["method"]
            self.metrics.requests.labels(method=method, route=template, status=str(status)).inc()
            elapsed = time.perf_counter() - started
            self.metrics.latency.labels(method=method, route=template).observe(elapsed)
            # The route template, never the URL: a query string may carry a value meant for no log.
            log.info("%s %s %d %.1f ms", method, template, status, elapsed * 1000)
