"""The scheduler of a server: a thread in every worker, ticking only while its worker leads.

A server never runs a command on its own host (its store, blobs and master key are at hand there), so it fires
schedules only onto a Ray cluster (STAGEWARD_RAY_ADDRESS): each due run is launched with the ray executor, through
`runs.launch` and every guardrail, as the service principal `spn:stageward-scheduler`, which acts only where an
admin bound it (`stageward access grant spn:stageward-scheduler developer --env staging`). A server without a Ray
cluster leaves its scheduler off and says so at start; `stageward scheduler` on a runner machine does the job then.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import secrets
import socket
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from stageward.server.state import ServerState

log = logging.getLogger("stageward.server")
SCHEDULER_PRINCIPAL = "spn:stageward-scheduler"
FOLLOWER_SECONDS = 2.0


class Scheduler:
    def __init__(self, state: ServerState) -> None:
        self.state = state
        self.interval = state.settings.scheduler_interval
        self.enabled = bool(state.base.environ.get("STAGEWARD_RAY_ADDRESS"))
        self.holder = f"server:{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="stageward-scheduler", daemon=True)

    def start(self) -> None:
        if not self.enabled:
            log.info("scheduler off: set STAGEWARD_RAY_ADDRESS to fire schedules onto a Ray cluster")
            return
        log.info("scheduler on: due schedules run on Ray as %s", SCHEDULER_PRINCIPAL)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        from stageward.store.db.leader import Lease, try_lead

        lease: Lease | None = None
        try:
            while not self._stop.is_set():
                if lease is None:
                    lease = try_lead(self.state.base.database, "scheduler")
                    if lease is None:
                        self._stop.wait(FOLLOWER_SECONDS)
                        continue
                self.tick()
                self._stop.wait(self.interval)
        finally:
            if lease is not None:
                lease.release()

    def tick(self) -> None:
        """One pass: what is due is fired once and launched on Ray; failures are logged, the loop goes on."""
        from stageward.errors import StagewardError
        from stageward.service.catalogue import run_verb

        ctx = dataclasses.replace(
            self.state.acting_context(), principal=SCHEDULER_PRINCIPAL, bound_environment=None, notices=[]
        )
        try:
            result = run_verb(ctx, "schedules.tick", {"holder": self.holder, "executor": "ray"})
        except StagewardError as error:
            log.error("scheduler pass failed: %s", error.message)
            return
        except Exception as error:  # the loop outlives a bad moment of the store; its type only is logged
            log.error("scheduler pass failed (%s); retrying", type(error).__name__)
            return
        for fired in result.fired:
            log.info("schedule %s/%s fired for %s", fired.environment, fired.name, fired.due)
        for message in result.errors:  # a guardrail refusal lists its failures one a line: one log line here
            log.error("schedule not run: %s", "; ".join(part.strip() for part in message.splitlines()))
