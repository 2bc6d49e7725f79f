"""Schedules: `schedule add|list|remove`, and the scheduler's pass (`schedules.tick`), fired exactly once.

A pass takes the project's scheduler lease in the store, then, in the same transaction, marks each due schedule
fired at its latest due time (a conditional update on the time it read), so two schedulers, even two that both
think they hold the lease, fire one due time once. Due times missed while no scheduler ran are reported, not
replayed: only the latest is fired. The runs themselves start after that transaction, through `runs.launch`,
guardrails and all, as the principal running the scheduler.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from stageward.errors import BadInput, Conflict, NotFound, StagewardError
from stageward.service.catalogue import run_verb, verb
from stageward.service.results.runs import FiredSchedule, ScheduleRecord, TickResult

if TYPE_CHECKING:
    from stageward.service.context import Context
    from stageward.service.unit import Unit

_NAME = re.compile(r"^[a-z][a-z0-9-]{0,62}$")
LEASE_SECONDS = 120.0


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def _next_due(cron: str, after: str, now: datetime) -> str | None:
    from croniter import croniter

    from stageward.service.clock import timestamp

    start = max(_parse(after), now)
    return timestamp(croniter(cron, start).get_next(datetime))


def _record(row: dict[str, Any], now: datetime) -> ScheduleRecord:
    return ScheduleRecord(
        id=row["id"],
        environment=row["environment"],
        name=row["name"],
        cron=row["cron"],
        pipeline=row["pipeline"],
        created_by=row["created_by"],
        created_at=row["created_at"],
        last_fired_at=row["last_fired_at"],
        next_due=_next_due(row["cron"], row["last_fired_at"] or row["created_at"], now),
    )


def _pipeline_command(unit: Unit, pipeline: str) -> list[str]:
    pipelines = unit.ctx.project.spec.pipelines
    if pipeline not in pipelines:
        known = ", ".join(sorted(pipelines)) or "none declared"
        raise BadInput(f"no pipeline {pipeline!r} in stageward.yaml pipelines ({known})")
    return shlex.split(pipelines[pipeline])


@verb("schedules.add", permission="runs.schedule", write=True, http=("POST", "/envs/{env}/schedules"))
def add(unit: Unit, *, env: str, name: str, cron: str, pipeline: str = "train") -> ScheduleRecord:
    """Run PIPELINE in ENV on the cron schedule CRON (five fields, UTC)."""
    from stageward.runs.cron import check_cron
    from stageward.store.db import runs_repo

    if not _NAME.fullmatch(name):
        raise BadInput(f"schedule name {name!r}: lower case letters, digits and -, starting with a letter")
    cron = check_cron(cron)
    _pipeline_command(unit, pipeline)
    project = unit.ctx.project.spec.project
    if runs_repo.get_schedule(unit.conn, project, env, name) is not None:
        raise Conflict(f"schedule {name} already exists in {env}", hint=f"stageward schedule remove {name} --env {env}")
    row: dict[str, Any] = {
        "project": project,
        "environment": env,
        "name": name,
        "cron": cron,
        "pipeline": pipeline,
        "created_at": unit.now(),
        "created_by": unit.principal,
        "last_fired_at": None,
    }
    row["id"] = runs_repo.insert_schedule(unit.conn, **row)
    unit.audit(environment=env, target=name, details={"cron": cron, "pipeline": pipeline})
    return _record(row, unit.ctx.clock.now())


@verb("schedules.list", http=("GET", "/schedules"))
def list_schedules(unit: Unit, *, env: str | None = None) -> list[ScheduleRecord]:
    """Schedules of this project in the environments you can read (or ENV), with their next due time."""
    from stageward.store.db import runs_repo

    if env is not None:
        unit.require("env.read", env)
        where = [env]
    else:
        where = unit.require_somewhere("env.read")
    now = unit.ctx.clock.now()
    return [_record(r, now) for r in runs_repo.list_schedules(unit.conn, unit.ctx.project.spec.project, where)]


@verb("schedules.remove", permission="runs.schedule", write=True, http=("DELETE", "/envs/{env}/schedules/{name}"))
def remove(unit: Unit, *, env: str, name: str) -> ScheduleRecord:
    """Remove schedule NAME of ENV."""
    from stageward.store.db import runs_repo

    row = runs_repo.get_schedule(unit.conn, unit.ctx.project.spec.project, env, name)
    if row is None:
        raise NotFound(f"no schedule {name} in {env}")
    runs_repo.delete_schedule(unit.conn, row["id"])
    unit.audit(environment=env, target=name, details={"cron": row["cron"], "pipeline": row["pipeline"]})
    return _record(row, unit.ctx.clock.now())


def _declared(unit: Unit) -> None:
    """Schedules declared in the applied policy join the table on first sight, due from now on (never replayed)."""
    from stageward.store.db import runs_repo

    project = unit.ctx.project.spec.project
    for env, policy in unit.ctx.environments.items():
        for schedule in policy.schedules:
            if runs_repo.get_schedule(unit.conn, project, env, schedule.name) is None:
                runs_repo.insert_schedule(
                    unit.conn,
                    project=project,
                    environment=env,
                    name=schedule.name,
                    cron=schedule.cron,
                    pipeline=schedule.pipeline,
                    created_at=unit.now(),
                    created_by="policy",
                    last_fired_at=None,
                )


# No REST route, for the reason runs.launch has none: a tick launches the due commands on this machine.
@verb("schedules.tick", write=True, flow=lambda c, a, u: _tick_flow(c, a, u))
def claim(unit: Unit, *, holder: str, executor: str = "local") -> TickResult:
    """One scheduler pass: take the lease, fire what is due once (missed times counted, not replayed), and
    launch each fired run with EXECUTOR."""
    from stageward.runs.cron import due_between
    from stageward.service.clock import timestamp
    from stageward.service.runs import EXECUTORS
    from stageward.store.db import runs_repo

    if not 1 <= len(holder) <= 128:
        raise BadInput("schedules.tick: holder must be 1 to 128 characters")
    if executor not in EXECUTORS:
        raise BadInput(f"schedules.tick: executor {executor!r}: expected {' or '.join(EXECUTORS)}")
    project = unit.ctx.project.spec.project
    now = unit.ctx.clock.now()
    until = timestamp(datetime.fromtimestamp(now.timestamp() + LEASE_SECONDS, tz=now.tzinfo))
    lease = f"scheduler:{project}"
    if runs_repo.take_lease(unit.conn, lease, holder, unit.now(), until) != holder:
        unit.unchanged()
        return TickResult(holder=holder, leased=False, fired=[], runs=[], errors=[])
    _declared(unit)
    fired = []
    for row in runs_repo.list_schedules(unit.conn, project):
        if row["environment"] not in unit.ctx.environments:
            continue
        listed, count = due_between(row["cron"], _parse(row["last_fired_at"] or row["created_at"]), now)
        if not count:
            continue
        due = timestamp(listed[-1]) if count <= len(listed) else timestamp(now)
        if not runs_repo.mark_fired(unit.conn, row["id"], due, row["last_fired_at"]):
            continue
        missed = [timestamp(m) for m in listed[:-1]]
        try:
            command = _pipeline_command(unit, row["pipeline"])
        except BadInput:
            command = []
        fired.append(
            FiredSchedule(
                environment=row["environment"],
                name=row["name"],
                pipeline=row["pipeline"],
                command=command,
                due=due,
                missed=count - 1,
                missed_times=missed,
            )
        )
        unit.audit(
            environment=row["environment"],
            target=row["name"],
            details={"due": due, "missed": count - 1, "pipeline": row["pipeline"]},
        )
    if not fired:
        unit.audit(environment=None, target=lease, action="schedules.lease", details={"holder": holder})
    return TickResult(holder=holder, leased=True, fired=fired, runs=[], errors=[])


def _tick_flow(ctx: Context, arguments: dict[str, Any], unit: Callable[[dict[str, Any]], Any]) -> TickResult:
    result: TickResult = unit(arguments)
    runs, errors = [], []
    for fired in result.fired:
        if not fired.command:
            errors.append(f"{fired.environment}/{fired.name}: no pipeline {fired.pipeline!r} in stageward.yaml")
            continue
        from stageward.service.runs import INTERNAL_TAGS

        token = INTERNAL_TAGS.set({"schedule": fired.name})
        try:
            launch = {"env": fired.environment, "command": fired.command, "executor": arguments.get("executor")}
            record = run_verb(ctx, "runs.launch", {k: v for k, v in launch.items() if v is not None})
            runs.append(record.id)
        except StagewardError as error:
            errors.append(f"{fired.environment}/{fired.name}: {error.message}")
        finally:
            INTERNAL_TAGS.reset(token)
    return result.model_copy(update={"runs": runs, "errors": errors})
