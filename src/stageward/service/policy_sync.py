"""On opening the store: the working copy against the applied policy (SPEC §12).

A single user on an embedded store is not slowed: what the caller may apply alone is applied
on the fly with a one-line notice. Anything else runs under the applied policy, and the
notice says the working copy differs. A caller acting through an API key never applies
policy on the fly: a key acts, people change policy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from stageward.errors import StagewardError
from stageward.policy.document import document_of, parse_document
from stageward.store.db import policy_repo

if TYPE_CHECKING:
    from stageward.service.context import Context


def sync_working_copy(ctx: Context) -> None:
    project = ctx.project.spec.project
    working = document_of(ctx.project.spec)
    with ctx.database.transaction(write=False) as conn:
        row = policy_repo.current(conn, project)
        registered = policy_repo.get_project(conn, project)
    applied = parse_document(row.document, where=f"policy v{row.version} of {project}") if row else None
    ctx.use_policy(applied, row.digest if row else None, team=registered.team if registered else None)
    if row is not None and registered is not None and row.digest == working.digest():
        return
    from stageward.service.catalogue import run_verb

    name = ctx.project.path.name
    try:
        plan = run_verb(ctx, "policy.plan", {})
        if plan.applies_alone and ctx.bound_environment is None:
            result = run_verb(ctx, "policy.apply", {"auto": True})
            if ctx.quiet_first_apply and row is None:
                return
            ctx.notices.append(
                f"policy: applied {name} to the store as version {result.version} of {project}'s policy "
                f"({len(result.changes)} change(s); stageward policy history)"
            )
            return
    except StagewardError as exc:
        ctx.notices.append(f"policy: {name} was not applied ({exc.message})")
        return
    if row is None:
        ctx.notices.append(f"policy: project {project} has no policy in this store yet: {plan.outcome}")
    else:
        ctx.notices.append(
            f"policy: {name} differs from the applied policy (version {row.version}); this runs under the "
            "applied one (stageward policy plan)"
        )
