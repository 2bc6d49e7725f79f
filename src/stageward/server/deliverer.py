"""The webhook deliverer of a server: a thread in every worker, working only while its worker leads."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from stageward.server.metrics import Metrics
    from stageward.server.state import ServerState

log = logging.getLogger("stageward.server")
IDLE_SECONDS = 0.5
FOLLOWER_SECONDS = 2.0
SEND_TIMEOUT_SECONDS = 10.0


class Deliverer:
    def __init__(self, state: ServerState, metrics: Metrics) -> None:
        self.state = state
        self.metrics = metrics
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="stageward-webhooks", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=SEND_TIMEOUT_SECONDS + 2)

    def _run(self) -> None:
        import httpx

        from stageward.server.egress import destination
        from stageward.service.deliveries import deliver_due
        from stageward.store.db.leader import Lease, try_lead

        lease: Lease | None = None
        with httpx.Client(timeout=SEND_TIMEOUT_SECONDS, follow_redirects=False) as http:

            allowed = self.state.settings.webhook_networks

            def send(url: str, headers: dict[str, str], body: bytes) -> int:
                target = destination(url, allowed)
                extensions = {"sni_hostname": target.sni_hostname} if target.sni_hostname else None
                sent = http.post(
                    target.url, headers={**headers, "host": target.host_header}, content=body, extensions=extensions
                )
                return sent.status_code

            def counted(outcome: str) -> None:
                self.metrics.webhook_deliveries.labels(outcome=outcome).inc()

            while not self._stop.is_set():
                try:
                    if lease is None:
                        lease = try_lead(self.state.base.database, "webhooks")
                        if lease is None:
                            self._stop.wait(FOLLOWER_SECONDS)
                            continue
                    if deliver_due(self.state.base, send, counted) == 0:
                        self._stop.wait(IDLE_SECONDS)
                except Exception as error:  # the loop outlives a bad moment of the store; its type only is logged
                    log.error("webhook delivery failed (%s); retrying", type(error).__name__)
                    self._stop.wait(FOLLOWER_SECONDS)
        if lease is not None:
            lease.release()
