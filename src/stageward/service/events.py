"""Events (SPEC §9): each promotion request, approval, rejection and execution, each alias move and rollback,
and each denial, written to the outbox in the transaction of the change itself.

An event is made from the audit entry of its act (unit.audit calls record()), so no act can change state
without its event and no event outlives a rolled-back change. Webhooks and the SSE stream read the outbox.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from stageward.service.catalogue import verb
from stageward.service.results.events import Event
from stageward.service.unit import Unit
from stageward.store.db import events_repo

if TYPE_CHECKING:
    from sqlalchemy import Connection

# The audit action of an act -> the type of its event.
EVENT_TYPES = {
    "promotion.request": "promotion.requested",
    "promotion.approve": "promotion.approved",
    "promotion.reject": "promotion.rejected",
    "promotion.execute": "promotion.executed",
    "model.alias_set": "alias.moved",
    "dataset.alias_set": "alias.moved",
    "model.rollback": "alias.rolled_back",
    "dataset.rollback": "alias.rolled_back",
    # Not in SPEC §9's list, and what a registry's webhooks carry (MLflow's model_version.created): a CI job that
    # evaluates each new version, and the web matrix's *latest* column, follow it.
    "model.register": "version.registered",
    "dataset.register": "version.registered",
}
DENIED = "access.denied"
ALIAS_MOVED = "alias.moved"
# Acts that move an alias besides `alias set`: each also emits alias.moved, so a subscriber to alias.moved sees
# every move of every alias, whatever moved it (the act's own event says why).
MOVES_AN_ALIAS = {"promotion.execute", "model.rollback", "dataset.rollback"}
PAGE = 100


def record(
    conn: Connection,
    *,
    action: str,
    project: str | None,
    environment: str | None,
    principal: str,
    target: str | None,
    outcome: str,
    details: dict[str, Any],
    at: str,
) -> None:
    """The event of an audited act, if the act is one that has events; in the caller's transaction."""
    kind = DENIED if outcome == "denied" else EVENT_TYPES.get(action)
    if kind is None or details.get("already_executed") or details.get("changed") is False:
        return  # a repeat that changed nothing is no event
    payload = {"action": action, "principal": principal, "target": target, "outcome": outcome, "details": details}
    events_repo.insert_event(
        conn, type=kind, project=project, environment=environment, occurred_at=at, payload=payload
    )
    if action in MOVES_AN_ALIAS and outcome == "ok" and "version" in details:
        events_repo.insert_event(
            conn, type=ALIAS_MOVED, project=project, environment=environment, occurred_at=at, payload=payload
        )


@verb("events.list", http=("GET", "/events/list"))
def list_events(unit: Unit, *, after: int = 0, env: str | None = None, limit: int = PAGE) -> list[Event]:
    """Events after id AFTER (oldest first) in ENV, or in every environment the caller can read."""
    if env is not None:
        unit.require("env.read", env)
        readable = [env]
    else:
        readable = [e for e in unit.ctx.environments if unit.can("env.read", e)]
    rows = events_repo.events_after(unit.conn, after, readable, max(1, min(limit, 1000)))
    return [Event.model_validate(row) for row in rows]
