"""Promotion between environments (SPEC §6): request, plan, approve, reject, transfer, execute.

A request is checked at once (edge, permission, version, mode, gates). When its approvals
are reached it executes exactly once: gates against the alias holder are evaluated again,
then the new version and the alias move are written in one transaction. Within one blob
store no bytes move. Across stores the bytes are copied first by `transfer` — outside any
write transaction, verified at the destination — and `execute` then only checks they are there.

`request`, `approve` and `execute` are flows (catalogue `flow=`): each is its own unit, and when
that leaves the promotion approved with bytes to move, the flow goes on with `transfer` and then
`execute`, each a unit of its own, so every face (CLI, SDK, REST) finishes a promotion the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from stageward.errors import BadInput, Conflict, Denied, NotFound, PartlyFailed
from stageward.project.model import Environment
from stageward.promotion import gates as gate_rules
from stageward.promotion.edges import edge_problem
from stageward.promotion.plan import Holder, PromotionPlan, kind_clash, plan_promotion
from stageward.registry.files import ManifestEntry
from stageward.registry.in_flight import move_each
from stageward.registry.names import check_alias, check_asset_name, check_id, check_version
from stageward.registry.progress import NoProgress, Progress
from stageward.service import assets
from stageward.service.catalogue import verb
from stageward.service.results.promotion import GateCheck, Promotion, PromotionPreview, Transferred
from stageward.service.unit import Unit
from stageward.store.blobs.base import copy_blob
from stageward.store.db import promotion_repo, registry_repo

if TYPE_CHECKING:
    from stageward.service.context import Context
    from stageward.store.db.promotion_repo import PromotionRecord
    from stageward.store.db.registry_repo import VersionRecord

STATES = ("pending", "approved", "executed", "rejected")


def _target(unit: Unit, env: str) -> Environment:
    """ENV as the applied policy declares it: approvals, gates and mode come from the store, not a working copy."""
    return unit.ctx.environment(env)


def _project(unit: Unit) -> str:
    return str(unit.ctx.project.spec.project)


def _check_edge(unit: Unit, source: str, env: str) -> None:
    unit.ctx.environment(source)
    unit.ctx.environment(env)
    problem = edge_problem(unit.ctx.policy, source, env)
    if problem is not None:
        raise Denied(f"promotion refused: {problem}", environment=env)


def _holder(unit: Unit, env: str, name: str, alias: str) -> tuple[str | None, dict[str, float] | None, int | None]:
    asset = registry_repo.get_asset(unit.conn, _project(unit), env, name)
    if asset is None:
        return None, None, None
    version = registry_repo.get_alias(unit.conn, asset.id, alias)
    if version is None:
        return None, None, None
    record = registry_repo.get_version(unit.conn, asset, version, with_files=False)
    assert record is not None
    return record.ref, record.metrics, version


def _plan(unit: Unit, env: str, record: VersionRecord, alias: str, mode: str | None) -> PromotionPlan:
    """Read the facts (the alias holder, the kind the target holds by this name), then plan (pure)."""
    holder_ref, holder_metrics, holder_version = _holder(unit, env, record.name, alias)
    target_asset = registry_repo.get_asset(unit.conn, _project(unit), env, record.name)
    return plan_promotion(
        unit.ctx.policy,
        env,
        mode,
        target=_target(unit, env),
        record=record,
        target_kind=target_asset.kind if target_asset else None,
        holder=Holder(holder_ref, holder_metrics, holder_version),
        auto=_auto(unit, record) if mode == "auto" else None,
        pipelines=dict(unit.ctx.project.spec.pipelines),
    )


def _auto(unit: Unit, record: VersionRecord) -> Any:
    """--mode auto: copy or retrain from the files under model_paths changed since the version's commit."""
    from stageward.promotion.changes import choose_auto
    from stageward.runs.worktree import changed_files

    commit = record.git_commit
    changed = changed_files(unit.ctx.project.root, commit) if commit else None
    return choose_auto(changed, unit.ctx.project.spec.model_paths, commit)


def _gates(unit: Unit, env: str, record: VersionRecord, alias: str) -> list[gate_rules.GateResult]:
    holder_ref, holder_metrics, _ = _holder(unit, env, record.name, alias)
    return gate_rules.evaluate(_target(unit, env).promotion.gates, record.metrics, holder_metrics, holder_ref)


def _gate_message(prefix: str, results: list[gate_rules.GateResult]) -> str:
    failed = gate_rules.failures(results)
    return f"{prefix}: {len(failed)} gate(s) failed: " + "; ".join(r.reason for r in failed)


def _same_store(unit: Unit, source_env: str, target_env: str) -> bool:
    return unit.ctx.blob_store(source_env).url == unit.ctx.blob_store(target_env).url


def _source_record(unit: Unit, source: str, name: str, version: int, *, check: bool = True) -> VersionRecord:
    """The version to promote; CHECK is off once a request stands (the requester was checked then)."""
    if check:
        unit.require("env.read", source)
    asset = registry_repo.get_asset(unit.conn, _project(unit), source, name)
    if asset is None:
        raise NotFound(f"no model or dataset named {name!r} in {source}")
    record = registry_repo.get_version(unit.conn, asset, version)
    if record is None:
        latest = registry_repo.latest_version(unit.conn, asset.id)
        raise NotFound(f"{source}/{name} has no version {version} (latest is {latest})")
    return record


def _describe(unit: Unit, row: PromotionRecord) -> Promotion:
    return Promotion.from_record(row, promotion_repo.decisions(unit.conn, row.id))


def _load(unit: Unit, promotion_id: int) -> PromotionRecord:
    check_id("promotion id", promotion_id)
    row = promotion_repo.get_promotion(unit.conn, promotion_id)
    if row is None or row.project != _project(unit):
        # Another project's promotion is decided from that project, under its policy; here it does not exist.
        raise NotFound(f"no promotion {promotion_id} in project {_project(unit)}")
    unit.require("env.read", row.target_env)
    return row


def _blobs_missing(
    unit: Unit, row: PromotionRecord, record: VersionRecord, *, keep: bool = False
) -> list[ManifestEntry]:
    """The source's blobs not yet in the target store; with KEEP, those there are kept for `gc --blobs`'s grace
    period (a transfer, whose execute records them later)."""
    if _same_store(unit, row.source_env, row.target_env):
        return []
    store = unit.ctx.blob_store(row.target_env)
    digests = {f.sha256 for f in record.files}
    here = store.kept(digests) if keep else store.existing(digests)
    return [f for f in record.files if f.sha256 not in here]


def _rejected_when_executed(
    unit: Unit, row: PromotionRecord, results: list[gate_rules.GateResult], gates_failed: str, **details: Any
) -> Promotion | None:
    """The policy may have moved since the request: the edge and the gates are those applied now. When either
    fails, the promotion is rejected (written, audited with DETAILS, the caller's error raised after commit) and
    returned; else None, and it executes."""
    edge = edge_problem(unit.ctx.policy, row.source_env, row.target_env)
    if edge is None and not gate_rules.failures(results):
        return None
    note = (
        f"promotion {row.id} rejected when it executed: the applied policy no longer allows it ({edge})"
        if edge is not None
        else _gate_message(gates_failed, results)
    )
    promotion_repo.set_state(
        unit.conn, row.id, expected=row.state, state="rejected", at=unit.now(), note=note, gates=results
    )
    unit.audit(
        environment=row.target_env,
        target=f"{row.name}@{row.alias}",
        outcome="failed",
        action="promotion.execute",
        details={
            "promotion": row.id,
            **details,
            "gates": [r.reason for r in results if not r.passed],
            **({"edge": edge} if edge else {}),
        },
    )
    rejected = _describe(unit, replace(row, state="rejected", note=note))
    unit.fail_after_commit(PartlyFailed(note, result=rejected))
    return rejected


def _execute_retrain(unit: Unit, row: PromotionRecord) -> Promotion:
    """A retrain's run has registered a version in the target: its gates, then the alias moves to it."""
    from stageward.service.retrain import retrained_version

    run, version = retrained_version(unit, row)
    promotion_repo.set_run(unit.conn, row.id, run["id"])
    row = replace(row, run_id=run["id"])
    results = _gates(unit, row.target_env, version, row.alias)
    target = f"{row.name}@{row.alias}"
    rejected = _rejected_when_executed(
        unit, row, results, f"promotion {row.id}: {version.ref} of retrain run {run['id']} rejected", run=run["id"]
    )
    if rejected is not None:
        return rejected
    asset = registry_repo.get_asset(unit.conn, row.project, row.target_env, row.name)
    assert asset is not None
    previous = registry_repo.move_alias(
        unit.conn, asset.id, row.alias, version.version, action="promote", at=unit.now(),
        by=unit.principal, promotion_id=row.id,
    )  # fmt: skip
    if not promotion_repo.set_state(
        unit.conn, row.id, expected=row.state, state="executed", at=unit.now(),
        gates=results, result_version=version.version,
    ):  # fmt: skip
        raise Conflict(f"promotion {row.id} changed while it executed; nothing was written")
    unit.audit(
        environment=row.target_env, target=target, action="promotion.execute",
        details={"promotion": row.id, "mode": "retrain", "run": run["id"], "version": version.version,
                 "previous": previous},
    )  # fmt: skip
    fresh = promotion_repo.get_promotion(unit.conn, row.id)
    assert fresh is not None
    return _describe(unit, fresh)


def _execute(unit: Unit, row: PromotionRecord) -> Promotion:
    """Gates again, then the new version and the alias move in this transaction; blobs in place."""
    if row.mode == "retrain":
        return _execute_retrain(unit, row)
    source = _source_record(unit, row.source_env, row.name, row.source_version, check=False)
    results = _gates(unit, row.target_env, source, row.alias)
    target = f"{row.name}@{row.alias}"
    rejected = _rejected_when_executed(unit, row, results, f"promotion {row.id} rejected when it executed")
    if rejected is not None:
        return rejected
    missing = _blobs_missing(unit, row, source)
    if missing:
        raise Conflict(
            f"promotion {row.id}: {len(missing)} blob(s) are not yet in "
            f"{unit.ctx.blob_store(row.target_env).url}",
            hint=f"copy them first: stageward promotion execute {row.id} (it transfers, then executes)",
        )
    env = row.target_env
    asset = registry_repo.get_asset(unit.conn, row.project, env, row.name)
    if asset is None:
        asset_id = registry_repo.create_asset(
            unit.conn, row.project, env, row.name, row.kind, at=unit.now(), by=unit.principal
        )
        asset = registry_repo.AssetRecord(asset_id, row.project, env, row.name, row.kind)
    elif (clash := kind_clash(env, row.name, asset.kind, row.kind)) is not None:
        raise Conflict(clash)
    version = registry_repo.next_version(unit.conn, asset.id)
    registry_repo.insert_version(
        unit.conn,
        asset_id=asset.id,
        version=version,
        files=list(source.files),
        manifest_digest=source.manifest_digest,
        metrics=source.metrics,
        params=source.params,
        tags=source.tags,
        run_id=source.run,
        git_commit=source.git_commit,
        config_digest=source.config_digest,
        blob_store=unit.ctx.blob_store(env).url,
        at=unit.now(),
        by=row.requested_by,
        promoted_from=registry_repo.VersionSource(row.source_env, row.name, row.source_version),
        promotion_id=row.id,
    )
    previous = registry_repo.move_alias(
        unit.conn,
        asset.id,
        row.alias,
        version,
        action="promote",
        at=unit.now(),
        by=unit.principal,
        promotion_id=row.id,
    )
    if not promotion_repo.set_state(
        unit.conn,
        row.id,
        expected=row.state,
        state="executed",
        at=unit.now(),
        gates=results,
        result_version=version,
    ):
        raise Conflict(f"promotion {row.id} changed while it executed; nothing was written")
    unit.audit(
        environment=env,
        target=target,
        action="promotion.execute",
        details={
            "promotion": row.id,
            "from": source.ref,
            "version": version,
            "previous": previous,
            "same_store": _same_store(unit, row.source_env, env),
        },
    )
    fresh = promotion_repo.get_promotion(unit.conn, row.id)
    assert fresh is not None
    return _describe(unit, fresh)


def _advance(unit: Unit, row: PromotionRecord) -> Promotion:
    """Approvals reached: execute now when no bytes need to move, else wait for the transfer (or the retrain
    run, which runs outside any write transaction)."""
    same = _same_store(unit, row.source_env, row.target_env)
    if same and row.mode != "retrain":
        return _execute(unit, row)
    promotion_repo.set_state(unit.conn, row.id, expected=row.state, state="approved", at=unit.now())
    fresh = promotion_repo.get_promotion(unit.conn, row.id)
    assert fresh is not None
    return _describe(unit, fresh)


def _then_execute(ctx: Context, arguments: dict[str, Any], unit: Callable[[dict[str, Any]], Any]) -> Promotion:
    """The flow of request and approve: their unit, then, if it left the promotion approved (bytes must move
    across stores), the flow of execute."""
    from stageward.service.catalogue import run_verb

    progress = arguments.pop("progress", None)
    result: Promotion = unit(arguments)
    if result.state != "approved":
        return result
    try:
        executed: Promotion = run_verb(ctx, "promotion.execute", {"id": result.id, "progress": progress})
    except Denied as refused:
        if result.mode != "retrain":
            raise
        env = result.target_env
        raise Denied(
            f"promotion {result.id} is approved, but its retrain run did not start: {refused.message}",
            permission=refused.permission,
            environment=env,
            hint=f"someone who may run in {env} executes it: stageward promotion execute {result.id}",
        ) from None
    return executed


def _transfer_then_execute(ctx: Context, arguments: dict[str, Any], unit: Callable[[dict[str, Any]], Any]) -> Promotion:
    """The flow of execute: an approved promotion's bytes are copied first (no write lock held), then its
    unit executes in a short transaction; any other promotion goes straight to the unit (returned or refused)."""
    from stageward.service.catalogue import run_verb

    progress = arguments.pop("progress", None)
    shown: Promotion = run_verb(ctx, "promotion.show", {"id": arguments["id"]})
    if shown.state == "approved" and shown.mode == "retrain":
        # The pipeline runs first, behind the target's guardrails, outside any transaction of this promotion.
        from stageward.service.retrain import retrain_run, source_of

        retrain_run(ctx, shown, source_of(ctx, shown), echo=None)
    elif shown.state == "approved":
        run_verb(ctx, "promotion.transfer", {"id": arguments["id"], "progress": progress})
    result: Promotion = unit(arguments)
    return result


MAX_TEXT = 2000


def _check_text(option: str, value: str | None) -> None:
    if value is not None and (not isinstance(value, str) or len(value) > MAX_TEXT):
        raise BadInput(f"{option}: expected text of at most {MAX_TEXT} characters")


def _arguments(name: str, version: int, alias: str) -> tuple[str, int, str]:
    return check_asset_name(name), check_version(version), check_alias(alias)


@verb("promotion.plan", permission="env.read", http=("GET", "/envs/{env}/promotions/plan"))
def plan(
    unit: Unit,
    *,
    env: str,
    name: str,
    version: int,
    source: str,
    alias: str = "champion",
    mode: str | None = None,
    reason: str | None = None,
) -> PromotionPreview:
    """What promote would do, without doing it: gates, approvals, mode and why, the alias move.

    It takes promote's arguments (SPEC §6), REASON too: checked as promote checks it, and shown as it would be
    recorded, so a plan and a promote of one command line cannot disagree on it.
    """
    name, version, alias = _arguments(name, version, alias)
    _check_text("--reason", reason)
    _check_edge(unit, source, env)
    record = _source_record(unit, source, name, version)
    planned = _plan(unit, env, record, alias, mode)
    chosen, why, blocked, clash = planned.mode, planned.mode_reason, planned.blocked, planned.clash
    results, failed, approvals = planned.gates, planned.failed, planned.approvals
    target_asset = registry_repo.get_asset(unit.conn, _project(unit), env, name)
    next_version = registry_repo.next_version(unit.conn, target_asset.id) if target_asset else 1
    same = _same_store(unit, source, env)
    target_store = unit.ctx.blob_store(env).url
    if same:
        copy = f"the new version references the same {record.file_count} blob(s) in {target_store}; no bytes move"
    else:
        copy = (
            f"streams {record.file_count} file(s), {record.size} bytes, from "
            f"{unit.ctx.blob_store(source).url} to {target_store}, verified at the destination"
        )
    permitted = unit.can("promotions.request", env)
    if not permitted:
        outcome = f"promote would be denied: {unit.principal} lacks promotions.request in {env}"
    elif blocked or clash:
        outcome = f"promote would be refused: {blocked or clash}"
    elif failed:
        outcome = "promote would be rejected: " + "; ".join(r.reason for r in failed)
    elif approvals:
        outcome = f"promote would open a request needing {approvals} approval(s) from people other than you"
    else:
        outcome = "promote would execute at once"
    return PromotionPreview(
        source=record.ref,
        target_env=env,
        mode=chosen,
        mode_reason=why,
        executable=blocked is None and clash is None,
        unavailable=blocked or clash,
        gates=[GateCheck.model_validate(r.to_dict()) for r in results],
        gates_pass=not failed,
        permitted=permitted,
        approvals_required=approvals,
        alias=alias,
        alias_from=planned.holder.ref,
        alias_from_version=planned.holder.version,
        alias_to=f"{env}/{name}:{next_version}",
        copy=copy if chosen == "copy" else None,
        retrain=(
            f"pipelines.train runs in {env} at {str(record.git_commit)[:12]} in a git worktree, with {env}'s "
            "config and secrets; the version it registers passes the gates before the alias moves"
        )
        if chosen == "retrain" and blocked is None
        else None,
        deciding_files=planned.deciding_files,
        same_store=same,
        reason=reason,
        outcome=outcome,
    )


@verb(
    "promotion.request",
    permission="promotions.request",
    write=True,
    http=("POST", "/envs/{env}/promotions"),
    flow=_then_execute,
)
def request(
    unit: Unit,
    *,
    env: str,
    name: str,
    version: int,
    source: str,
    alias: str = "champion",
    mode: str | None = None,
    reason: str | None = None,
    progress: Progress | None = None,
) -> Promotion:
    """Open a promotion of SOURCE/NAME:VERSION into ENV; checked at once, executed when approved.

    PROGRESS reports the copy of the bytes when the request executes at once across stores (the flow).
    """
    name, version, alias = _arguments(name, version, alias)
    _check_text("--reason", reason)
    _check_edge(unit, source, env)
    record = _source_record(unit, source, name, version)
    planned = _plan(unit, env, record, alias, mode)
    chosen = planned.mode
    if planned.blocked is not None:
        raise BadInput(
            f"promotion mode {chosen} ({planned.mode_reason}): {planned.blocked}", hint="promote with --mode copy"
        )
    if planned.clash is not None:
        # Checked at once (SPEC §6), not after the approvals were gathered.
        raise Conflict(f"promotion refused: {planned.clash}")
    results, failed, approvals = planned.gates, planned.failed, planned.approvals
    promotion_id = promotion_repo.insert_promotion(
        unit.conn,
        project=_project(unit),
        name=name,
        kind=record.kind,
        source_env=source,
        source_version=version,
        target_env=env,
        alias=alias,
        mode=chosen,
        reason=reason,
        requested_by=unit.principal,
        requested_at=unit.now(),
        state="rejected" if failed else "pending",
        required_approvals=approvals,
        gates=results,
        note=_gate_message("rejected at request", results) if failed else None,
    )
    unit.audit(
        environment=env,
        target=f"{name}@{alias}",
        outcome="failed" if failed else "ok",
        details={
            "promotion": promotion_id,
            "from": record.ref,
            "mode": chosen,
            "approvals": approvals,
            "gates": [r.reason for r in results],
        },
    )
    stored = promotion_repo.get_promotion(unit.conn, promotion_id)
    assert stored is not None
    if failed:
        # The rejected request is kept and travels with the failure, so a face shows every gate with its value
        # and bound (SPEC §6), not only the failing ones the message names.
        rejected = _describe(unit, stored)
        message = _gate_message(f"promotion {promotion_id} of {record.ref} rejected", results)
        unit.fail_after_commit(PartlyFailed(message, result=rejected))
        return rejected
    if approvals == 0:
        return _advance(unit, stored)
    return _describe(unit, stored)


@verb("promotion.approve", write=True, http=("POST", "/promotions/{id}/approve"), flow=_then_execute)
def approve(unit: Unit, *, id: int, comment: str | None = None, progress: Progress | None = None) -> Promotion:
    """Approve a pending promotion; the last required approval executes it (copying the bytes first)."""
    _check_text("--comment", comment)
    row = _load(unit, id)
    unit.require("promotions.approve", row.target_env)
    if row.requested_by == unit.principal:
        raise Denied(
            f"denied: {unit.principal} requested promotion {id} and cannot approve it (separation of duties)",
            permission="promotions.approve",
            environment=row.target_env,
        )
    if row.state != "pending":
        raise Conflict(f"promotion {id} is {row.state}; only a pending promotion takes approvals")
    decided = promotion_repo.decisions(unit.conn, id)
    if any(d.principal == unit.principal for d in decided):
        raise Conflict(f"{unit.principal} has already decided on promotion {id}")
    promotion_repo.add_decision(unit.conn, id, unit.principal, "approve", comment, at=unit.now())
    # Under the writer lock nobody else decides meanwhile: the count is the earlier approvals and this one.
    approvals = 1 + sum(d.decision == "approve" for d in decided)
    unit.audit(
        environment=row.target_env,
        target=f"{row.name}@{row.alias}",
        details={"promotion": id, "approvals": approvals, "required": required_approvals(unit, row)},
    )
    # Tightening applies at once (SPEC §12): a request waits for the stricter of its own count and today's.
    if approvals >= required_approvals(unit, row):
        return _advance(unit, row)
    return _describe(unit, row)


def required_approvals(unit: Unit, row: PromotionRecord) -> int:
    return max(int(row.required_approvals), _target(unit, row.target_env).required_approvals)


@verb("promotion.reject", write=True, http=("POST", "/promotions/{id}/reject"))
def reject(unit: Unit, *, id: int, comment: str | None = None) -> Promotion:
    """Reject a pending or approved promotion, even one you approved; it will not execute."""
    _check_text("--comment", comment)
    row = _load(unit, id)
    unit.require("promotions.approve", row.target_env)
    if row.state not in ("pending", "approved"):
        raise Conflict(f"promotion {id} is {row.state}; it can no longer be rejected")
    # An approver who approved may still veto before it executes: their approval becomes a rejection.
    if not promotion_repo.change_decision(unit.conn, id, unit.principal, "reject", comment, at=unit.now()):
        promotion_repo.add_decision(unit.conn, id, unit.principal, "reject", comment, at=unit.now())
    note = f"rejected by {unit.principal}" + (f": {comment}" if comment else "")
    promotion_repo.set_state(unit.conn, id, expected=row.state, state="rejected", at=unit.now(), note=note)
    unit.audit(environment=row.target_env, target=f"{row.name}@{row.alias}", details={"promotion": id})
    fresh = promotion_repo.get_promotion(unit.conn, id)
    assert fresh is not None
    return _describe(unit, fresh)


def _may_execute(unit: Unit, row: PromotionRecord) -> None:
    env = row.target_env
    if not (unit.can("promotions.request", env) or unit.can("promotions.approve", env)):
        unit.require("promotions.approve", env)


@verb("promotion.transfer", http=("POST", "/promotions/{id}/transfer"))
def transfer(unit: Unit, *, id: int, progress: Progress | None = None) -> Transferred:
    """Copy an approved promotion's blobs to the target store, verified there; writes no record."""
    reporter = progress or NoProgress()
    row = _load(unit, id)
    _may_execute(unit, row)
    if row.state != "approved":
        return Transferred(id=id, state=row.state, copied_files=0, copied_bytes=0)
    source = _source_record(unit, row.source_env, row.name, row.source_version, check=False)
    missing = _blobs_missing(unit, row, source, keep=True)
    source_store = unit.ctx.blob_store(row.source_env)
    target_store = unit.ctx.blob_store(row.target_env)
    unique = {f.sha256: f for f in missing}
    reporter.start(f"copying to {target_store.url}", sum(f.size for f in unique.values()))
    # Between two folders the kernel copies while the copy is re-hashed alongside; otherwise the blob is streamed
    # (hashed on the way), then read back from the target and hashed again. Small blobs go several at once into
    # a store whose writes are round trips (S3).
    move_each(
        list(unique.values()),
        size=lambda file: file.size,
        move=lambda file: copy_blob(target_store, file.sha256, reporter.advance, source=source_store, read_back=True),
        at_once=target_store.files_in_flight,
        small_bytes=target_store.small_file_bytes,
    )
    reporter.finish()
    return Transferred(
        id=id, state=row.state, copied_files=len(unique), copied_bytes=sum(f.size for f in unique.values())
    )


@verb("promotion.execute", write=True, http=("POST", "/promotions/{id}/execute"), flow=_transfer_then_execute)
def execute(unit: Unit, *, id: int, progress: Progress | None = None) -> Promotion:
    """Execute an approved promotion, copying its blobs first; an executed one is returned as it is (safe to repeat)."""
    row = _load(unit, id)
    _may_execute(unit, row)
    if row.state == "executed":
        unit.audit(
            environment=row.target_env,
            target=f"{row.name}@{row.alias}",
            details={"promotion": id, "already_executed": True},
        )
        return _describe(unit, row)
    if row.state != "approved":
        raise Conflict(f"promotion {id} is {row.state}; only an approved promotion executes")
    return _execute(unit, row)


@verb("promotion.list", http=("GET", "/promotions"))
def list_promotions(unit: Unit, *, env: str | None = None, state: str | None = None) -> list[Promotion]:
    """Promotions into ENV (or every environment you can read), newest first."""
    if state is not None and state not in STATES:
        raise BadInput(f"--state {state!r}: expected one of {', '.join(STATES)}")
    rows = promotion_repo.list_promotions(unit.conn, _project(unit), assets.readable(unit, env), state)
    return [_describe(unit, row) for row in rows]


@verb("promotion.show", http=("GET", "/promotions/{id}"))
def show(unit: Unit, *, id: int) -> Promotion:
    """One promotion with its gates, decisions and result."""
    return _describe(unit, _load(unit, id))
