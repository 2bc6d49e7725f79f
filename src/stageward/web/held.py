"""What a browser session holds for one request: each of its keys re-validated, and verbs run as each key.

A verb always runs through ServerState.context_for(caller) with the key of the environment it concerns, so
every page applies the checks REST applies: a viewer's key reads, an approver's approves, an environment
the session holds no key for is never shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from stageward.errors import StagewardError, Unauthenticated

if TYPE_CHECKING:
    from stageward.service.context import Context
    from stageward.web.session import Session


class Caller(Protocol):
    """Who a key acts as (the server's Caller): the UI sits below the server and never imports it."""

    @property
    def principal(self) -> str:
        """The principal the key belongs to."""

    @property
    def environment(self) -> str:
        """The one environment the key acts in."""


class ServerState(Protocol):
    """What the UI needs of the server's state: the base context, and keys resolved and acted as as REST does."""

    @property
    def base(self) -> Context:
        """The server's context: its project, store and applied policy."""

    def authenticate(self, presented: str) -> Caller:
        """The caller of a valid key, checked against the store now; Unauthenticated otherwise."""

    def context_for(self, caller: Any) -> Context:
        """A context acting as CALLER, inside CALLER's environment only."""


def plain(result: Any) -> Any:
    """A verb's result as JSON values: a result model dumped, a list of them each dumped, JSON as it is."""
    from pydantic import BaseModel

    if isinstance(result, BaseModel):
        return result.model_dump(mode="json", by_alias=True)
    if isinstance(result, list):
        return [plain(item) for item in result]
    return result


@dataclass
class Held:
    state: ServerState
    session: Session
    callers: dict[str, Caller] = field(default_factory=dict)  # environment -> who its key acts as
    dropped: dict[str, str] = field(default_factory=dict)  # environment -> why its key no longer counts
    changed: bool = False  # the session lost a key: the cookie must be written again

    @property
    def environments(self) -> list[str]:
        return list(self.callers)

    def run(self, as_key_of: str, verb: str, /, **arguments: Any) -> Any:
        """VERB with ARGUMENTS, acting as the key held for environment AS_KEY_OF (Unauthenticated: none held)."""
        from stageward.service.catalogue import lookup

        caller = self.callers.get(as_key_of)
        if caller is None:
            raise Unauthenticated(f"this session holds no key for {as_key_of}", hint="add one on the sign-in page")
        return plain(lookup(verb).run(self.state.context_for(caller), arguments))

    def try_run(self, as_key_of: str, verb: str, /, **arguments: Any) -> tuple[Any, StagewardError | None]:
        """VERB's result, or None and the error a page shows in place of it."""
        try:
            return self.run(as_key_of, verb, **arguments), None
        except StagewardError as error:
            return None, error


def hold(state: ServerState, session: Session) -> Held:
    """SESSION's keys checked against the store now, in the applied policy's order of environments."""
    from stageward.project.tiers import tier_rank

    held = Held(state, session)
    declared = state.base.environments
    # sandbox, development, staging, production: the order work moves in; an undeclared one last.
    order = {name: tier_rank(env.tier) for name, env in declared.items()}
    for env in sorted(session.keys, key=lambda name: (order.get(name, 99), name)):
        try:
            caller = state.authenticate(session.keys[env])
        except Unauthenticated as error:
            held.dropped[env] = error.message
            continue
        if caller.environment != env:  # a cookie we sealed never says so; refuse rather than trust the label
            held.dropped[env] = "the key does not belong to this environment"
            continue
        held.callers[env] = caller
    for env in held.dropped:
        del session.keys[env]
        held.changed = True
    return held
