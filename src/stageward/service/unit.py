"""The unit of work a verb runs in: one transaction, the caller's access, and its audit entries."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from stageward.access.decide import Binding, Target, decide
from stageward.errors import Denied, StagewardError
from stageward.service.clock import timestamp

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from stageward.service.catalogue import VerbSpec
    from stageward.service.context import Context


class Unit:
    """decide -> act -> audit, inside one transaction."""

    def __init__(self, ctx: Context, spec: VerbSpec, open_connection: Callable[[], Connection]) -> None:
        self.ctx = ctx
        self.spec = spec
        self._open_connection = open_connection
        self._conn: Connection | None = None
        self.principal = ctx.principal
        self.audited = False
        self.target: str | None = None
        self.error_after_commit: StagewardError | None = None
        self._bindings: list[Binding] | None = None
        self._teams: list[str] | None = None
        self._held: list[Binding] = []  # every binding of the principal, before a key narrows them
        self._now: str | None = None

    @property
    def conn(self) -> Connection:
        """The unit's transaction, opened on first use (read verbs may never need it)."""
        if self._conn is None:
            self._conn = self._open_connection()
        return self._conn

    @property
    def project(self) -> Any:
        return self.ctx.project.spec

    def now(self) -> str:
        """One timestamp for everything this unit writes."""
        if self._now is None:
            self._now = timestamp(self.ctx.clock.now())
        return self._now

    def teams(self) -> list[str]:
        """The teams the caller belongs to (their bindings reach it)."""
        self._load_access()
        assert self._teams is not None
        return self._teams

    def bindings(self) -> list[Binding]:
        """Every binding the caller holds, directly or through a team."""
        self._load_access()
        assert self._bindings is not None
        return self._bindings

    def _load_access(self) -> None:
        if self._bindings is not None:
            return
        quick = self._quick_reader()
        if quick is not None:
            teams, bindings = quick.access_of(self.principal)
        else:
            from stageward.store.db import access_repo

            teams, bindings = access_repo.access_of(self.conn, self.principal)
        self._held = bindings
        bound = self.ctx.bound_environment
        if bound is not None:
            # An API key's roles reach its own environment only: "*" narrows to it, others drop.
            bindings = [
                Binding(b.principal, b.role, bound, b.scope) for b in bindings if b.environment in (bound, "*")
            ]
        self._teams, self._bindings = teams, bindings

    def _quick_reader(self) -> Any:
        # Only a read unit that has not opened its transaction may answer from the quick reader.
        if self.spec.write or self._conn is not None:
            return None
        return self.ctx.quick_reader()

    def can(self, permission: str, environment: str, target: Target | str | None = "project") -> bool:
        """Whether the caller holds PERMISSION in ENVIRONMENT for TARGET: this project by default, another
        project's Target, or None for a store-wide act (then only bindings narrowed to nothing count)."""
        bound = self.ctx.bound_environment
        if bound is not None and environment != bound:
            # A key acts in its own environment only. It may still see (env.read, nothing more) the
            # environments its own promotes from: a production key requests a promotion from staging and
            # must read the version it names there. Only by its principal's own roles there: a key opens
            # nothing its principal lacks.
            if permission != "env.read" or environment not in self._sources_of(bound):
                return False
            self._load_access()
            over = self.ctx.target() if target == "project" else target
            assert not isinstance(over, str)
            return decide(self.principal, permission, environment, self._held, self.teams(), over)
        over = self.ctx.target() if target == "project" else target
        assert not isinstance(over, str)
        return decide(self.principal, permission, environment, self.bindings(), self.teams(), over)

    def _sources_of(self, environment: str) -> list[str]:
        policy = self.ctx.policy
        declared = policy.environment(environment) if policy is not None else None
        return list(declared.promote_from) if declared is not None else []

    def require(self, permission: str, environment: str, target: Target | str | None = "project") -> None:
        if not self.can(permission, environment, target):
            raise Denied(
                f"denied: {self.principal} lacks {permission} in {environment}"
                + (" store-wide (a binding narrowed to a team or project does not count)" if target is None else ""),
                permission=permission,
                environment=environment,
                hint=(
                    f"this API key acts in {self.ctx.bound_environment} only; use a key made for {environment}"
                    if self.ctx.bound_environment not in (None, environment)
                    else f"an admin can grant it: stageward access grant {self.principal} ROLE --env {environment}"
                ),
            )

    def require_somewhere(self, permission: str) -> list[str]:
        """The environments of the applied policy where the caller holds PERMISSION; denied when there are none."""
        where = [env for env in self.ctx.environments if self.can(permission, env)]
        if not where:
            raise Denied(
                f"denied: {self.principal} lacks {permission} in every environment",
                permission=permission,
            )
        return where

    def store_environments(self) -> dict[str, str]:
        """Every environment of the store with its tier, read from the store, never from a working copy."""
        from stageward.store.db import policy_repo

        return policy_repo.registered_environments(self.conn)

    def require_everywhere(self, permission: str, also: tuple[str, ...] = ()) -> None:
        """Store-wide acts (teams, environments) need PERMISSION, not narrowed, in every environment of the
        store (and in ALSO, environments about to join it): a project file cannot shorten the list."""
        from stageward.project.tiers import tier_rank

        known = self.store_environments()
        in_order = sorted(known, key=lambda name: (tier_rank(known[name]), name))  # type: ignore[arg-type]
        for environment in [*in_order, *also] or ["*"]:
            self.require(permission, environment, None)

    def audit(
        self,
        *,
        environment: str | None,
        target: str | None,
        details: dict[str, Any] | None = None,
        outcome: str = "ok",
        action: str | None = None,
    ) -> None:
        from stageward.service.chain_key import chain_key
        from stageward.store.db import audit_repo

        audit_repo.append(
            self.conn,
            key=chain_key(self.ctx, self.conn),
            time=self.now(),
            principal=self.principal,
            action=action or self.spec.name,
            environment=environment,
            target=target,
            outcome=outcome,
            details=details or {},
        )
        from stageward.service.events import record

        record(
            self.conn,
            action=action or self.spec.name,
            project=self.ctx.project.spec.project,
            environment=environment,
            principal=self.principal,
            target=target,
            outcome=outcome,
            details=details or {},
            at=self.now(),
        )
        self.audited = True

    def unchanged(self) -> None:
        """Say deliberately that this write verb found nothing to change, so it appends no audit entry."""
        self.audited = True

    def fail_after_commit(self, error: StagewardError) -> None:
        """Keep what this unit wrote (say, a rejected request and its audit) and still report failure."""
        self.error_after_commit = error


def record_denial(ctx: Context, spec: VerbSpec, denial: Denied, *, target: str | None) -> None:
    """Denials are audited in their own transaction: the denied unit's writes were rolled back."""
    from stageward.service.chain_key import chain_key
    from stageward.service.events import record
    from stageward.store.db import audit_repo

    at = timestamp(ctx.clock.now())
    with ctx.database.transaction(write=True) as conn:
        details = {
            "permission": denial.permission,
            "reason": denial.message,
            # Which key met the wall, by its public prefix: a leaked key's attempts can be traced and revoked.
            **({"api_key": ctx.api_key_prefix} if ctx.api_key_prefix else {}),
        }
        audit_repo.append(
            conn,
            key=chain_key(ctx, conn),
            time=at,
            principal=ctx.principal,
            action=spec.name,
            environment=denial.environment,
            target=target,
            outcome="denied",
            details=details,
        )
        record(
            conn,
            action=spec.name,
            project=ctx.project.spec.project,
            environment=denial.environment,
            principal=ctx.principal,
            target=target,
            outcome="denied",
            details=details,
            at=at,
        )
