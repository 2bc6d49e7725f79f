"""Runs: launch behind the guardrails (a flow: decide and record, execute, finish), and reading them back.

`runs.launch` is a flow of three steps, so no transaction stays open while a command runs: the launcher reads
its checkout (commit, ref, dirty tree, the lockfile's text), then one unit checks every guardrail together and
records the run (the quota is counted inside that write transaction, and writers are serialized, so two
launches racing for the last slot cannot both start); then the executor runs the command while the launcher
streams masked output to the terminal and to the blob store and beats the run's heartbeat (`runs.beat`); then
`runs.finish` records the outcome. A remote launcher (STAGEWARD_URL) plays the same steps against a server:
`runs.begin` is that one unit behind a route (the server decides and records, never executes). Heartbeats and
log chunk rows are bookkeeping of a running run, written without an audit entry each; the launch, the finish and
every refusal are audited.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stageward.errors import BadInput, Conflict, Denied, NotFound
from stageward.runs.checkout import Checkout
from stageward.service.catalogue import verb
from stageward.service.results.runs import LogPage, OutputEcho, RunBeat, RunBegun, RunDetail, RunMetric, RunRecord

if TYPE_CHECKING:
    from stageward.project.model import Environment
    from stageward.service.context import Context
    from stageward.service.unit import Unit

HEARTBEAT_SECONDS = 5.0
GRACE_SECONDS = 10.0
_TAG_KEY = re.compile(r"^[a-z][a-z0-9_.-]{0,63}$")
# Set by Stageward alone: cost is attributed by the first three, and a retrain finds its run by `promotion`.
RESERVED_TAGS = ("project", "team", "environment", "promotion", "schedule")
EXECUTORS = ("local", "ray")
ENDINGS = ("succeeded", "failed", "cancelled")


class GuardrailsFailed(Denied):
    """Launch refused: every failing guardrail, one a line (exit 3)."""

    def __init__(self, environment: str, lines: list[str]) -> None:
        shown = "\n".join(f"  - {line}" for line in lines)
        count = f"{len(lines)} guardrail{'s' if len(lines) != 1 else ''} failed"
        super().__init__(
            f"run refused in {environment}: {count}\n{shown}", permission="runs.launch", environment=environment
        )


def _masked_command(command: list[str], secret_values: Iterable[str]) -> list[str]:
    from stageward.runs.masking import forms_of
    from stageward.secrets.masking import mask_text

    forms: set[str] = set()
    for value in secret_values:
        forms |= forms_of(value)
    return [mask_text(argument, forms) for argument in command] if forms else list(command)


@dataclass
class _Launching:
    """Between the launch flow and its unit: the launcher's facts in, the begun run out (secrets included), so
    neither travels through a verb argument or the launch's result."""

    checkout: Checkout
    heartbeat_seconds: float
    begun: RunBegun | None = None


_LAUNCHING: ContextVar[_Launching | None] = ContextVar("stageward_run_launching", default=None)
# Tags only Stageward's own flows put on a run (a retrain's promotion, a schedule's name): no --tag can forge them.
INTERNAL_TAGS: ContextVar[dict[str, str]] = ContextVar("stageward_internal_run_tags", default={})  # noqa: B039
_COMMIT = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")
# A git ref name as `git check-ref-format` allows it, roughly: no control characters, spaces or ~^:?*[\.
_REF = re.compile(r"refs/[^\x00-\x20\x7f~^:?*\[\\]{1,250}")


def seconds_from(environ: Any, name: str, default: float) -> float:
    """The number of seconds variable NAME of ENVIRON gives (DEFAULT when unset), between 0.05 and 3600."""
    text = environ.get(name)
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        raise BadInput(f"{name}={text!r}: expected a number of seconds") from None
    if not 0.05 <= value <= 3600:
        raise BadInput(f"{name}={text!r}: expected between 0.05 and 3600 seconds")
    return value


def lost_after(heartbeat_seconds: float) -> float:
    """A run whose heartbeat is older than this is `lost`: three beats missed, plus a second of slack."""
    return 3 * heartbeat_seconds + 1.0


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def effective_status(row: dict[str, Any], now: datetime) -> str:
    """`lost` for a run still marked running whose launcher stopped beating; the recorded status otherwise."""
    if row["status"] != "running":
        return str(row["status"])
    if now - _parse(row["heartbeat_at"]) > timedelta(seconds=lost_after(row["heartbeat_seconds"])):
        return "lost"
    return "running"


def _mark_lost(unit: Unit, environment: str) -> list[dict[str, Any]]:
    """Record as lost the running runs of ENVIRONMENT whose heartbeat stopped; the ones still running."""
    from stageward.store.db import runs_repo

    alive = []
    now = unit.ctx.clock.now()
    for row in runs_repo.running(unit.conn, unit.ctx.project.spec.project, environment):
        if effective_status(row, now) == "lost":
            runs_repo.update_run(unit.conn, row["id"], status="lost", ended_at=row["heartbeat_at"])
            unit.audit(
                environment=environment,
                target=row["id"],
                action="runs.lost",
                details={"last_heartbeat": row["heartbeat_at"]},
            )
        else:
            alive.append(row)
    return alive


def _tags(unit: Unit, env: str, policy: Environment, given: dict[str, str]) -> dict[str, str]:
    for key, value in given.items():
        if not _TAG_KEY.fullmatch(key):
            raise BadInput(f"--tag {key}: a tag name is lower case letters, digits, _ . - (at most 64)")
        if len(value) > 256:
            raise BadInput(f"--tag {key}: a tag value is at most 256 characters")
        if key in RESERVED_TAGS or key in policy.cost.tags:
            # Cost is attributed by these: a run may not move its cost to another team or cost center.
            raise BadInput(f"--tag {key}: set by Stageward (project, team, environment and cost tags)")
    team = unit.ctx.target().team or unit.ctx.project.spec.team
    tags = {
        "project": unit.ctx.project.spec.project,
        "environment": env,
        **policy.cost.tags,
        **given,
        **INTERNAL_TAGS.get(),
    }
    if team:
        tags["team"] = team
    return tags


def _store_variables(unit: Unit) -> dict[str, str]:
    """The launcher's default store and blobs (files beside its stageward.yaml), named for the run: a run in a
    worktree (a retrain) would otherwise find its own, empty, store. A store or blobs the launcher was given by
    variable reach the run as the launcher's environment does; nothing here holds a credential."""
    root = unit.ctx.project.root / ".stageward"
    found: dict[str, str] = {}
    # A SQLite store's URL is a path, never a credential; another store's URL reaches the run only as the
    # launcher's own variable did.
    if "STAGEWARD_STORE" not in unit.ctx.environ and unit.ctx.store_url.startswith("sqlite:///"):
        found["STAGEWARD_STORE"] = unit.ctx.store_url
    if "STAGEWARD_BLOBS" not in unit.ctx.environ:
        found["STAGEWARD_BLOBS"] = f"file://{root / 'blobs'}"
    return found


def _data_variables(policy: Environment, reads: list[str], writes: list[str]) -> dict[str, str]:
    named = [*reads, *writes] or list(policy.data)
    return {f"STAGEWARD_DATA_{name.upper()}": policy.data[name].uri for name in dict.fromkeys(named)}


def _scan(unit: Unit, policy: Environment, checkout: Checkout) -> tuple[list[Any], str | None]:
    """The scan of the lockfile text the launcher reported, against the advisories of the deciding process."""
    if policy.vulnerability_scan is None:
        return [], None
    from stageward.service.scan import scan_reported

    try:
        return scan_reported(unit.ctx.project.root, policy.vulnerability_scan, checkout.lockfile), None
    except BadInput as error:
        return [], error.message


class _RunSecrets:
    """The config's `${secret:NAME}` values for a run: runs.launch delivers them (secrets.values_for_run)."""

    def __init__(self, unit: Unit, env: str) -> None:
        self.unit = unit
        self.env = env
        self.delivered: dict[str, str] = {}

    def exists(self, name: str) -> bool:
        from stageward.service.secrets import SecretStoreSource

        return SecretStoreSource(self.unit, self.env).exists(name)

    def reveal_many(self, names: Iterable[str]) -> dict[str, str]:
        from stageward.service.secrets import values_for_run

        values = values_for_run(self.unit, self.env, list(names))
        self.delivered.update(values)
        return values


def _check_reported(verb_name: str, checkout: Checkout, heartbeat_seconds: float) -> None:
    if checkout.commit is not None and not _COMMIT.fullmatch(checkout.commit):
        raise BadInput(f"{verb_name}: commit: expected a git commit id (40 or 64 lower-case hex digits)")
    if checkout.ref is not None and not _REF.fullmatch(checkout.ref):
        raise BadInput(f"{verb_name}: ref: expected a git ref name (refs/heads/..., refs/tags/...)")
    if not 0.05 <= heartbeat_seconds <= 3600:
        raise BadInput(f"{verb_name}: heartbeat_seconds: expected between 0.05 and 3600 seconds")


def _begin(
    unit: Unit,
    *,
    env: str,
    command: list[str],
    image: str | None,
    reads: list[str] | None,
    writes: list[str] | None,
    executor: str,
    tags: dict[str, str] | None,
    checkout: Checkout,
    heartbeat_seconds: float,
    workdir: Path | None = None,
) -> RunBegun:
    """Every guardrail on the launcher's facts and the store's, then the run recorded and its config handed over:
    the one body of a launch, in local mode (runs.launch) and on a server (runs.begin)."""
    from stageward.configuration.digest import digest
    from stageward.configuration.resolve import ConfigFiles
    from stageward.runs import cost
    from stageward.runs.guardrails import LaunchFacts, evaluate
    from stageward.service.clock import timestamp
    from stageward.service.config import resolve_for
    from stageward.store.db import runs_repo

    if not command or not command[0]:
        raise BadInput("runs.launch: no command given (stageward run --env ENV -- CMD ARGS...)")
    if executor not in EXECUTORS:
        raise BadInput(f"--executor {executor!r}: expected {' or '.join(EXECUTORS)}")
    _check_reported(unit.spec.name, checkout, heartbeat_seconds)
    reads, writes = list(reads or []), list(writes or [])
    policy = unit.ctx.environment(env)
    project = unit.ctx.project.spec.project
    alive = _mark_lost(unit, env)
    month = timestamp(cost.month_start(unit.ctx.clock.now()))
    recent = [
        r["cost"]
        for r in runs_repo.list_runs(unit.conn, project, [env], limit=10)
        if r["cost"] is not None and r["status"] != "running"
    ]
    findings, scan_error = _scan(unit, policy, checkout)
    facts = LaunchFacts(
        environment=env,
        permitted=unit.can("runs.launch", env),
        principal=unit.principal,
        ref=checkout.ref,
        dirty=checkout.dirty,
        image=image,
        reads=reads,
        writes=writes,
        running=len(alive),
        spent_this_month=runs_repo.spent_since(unit.conn, project, env, month),
        estimate=cost.estimate(recent),
        findings=findings,
        scan_error=scan_error,
    )
    failures = evaluate(policy, facts)
    if failures:
        raise GuardrailsFailed(env, [f"{f.guardrail}: {f.message}" for f in failures])
    all_tags = _tags(unit, env, policy, dict(tags or {}))
    # The config files of the code that runs: a retrain's worktree holds them at the source version's commit.
    files = ConfigFiles(workdir / unit.ctx.project.spec.config.dir, workdir) if workdir is not None else None
    resolved = resolve_for(unit, env, files=files)
    secrets = _RunSecrets(unit, env)
    values = resolved.revealed(secrets)
    # A secret the caller typed (or a shell expanded) into the command line is masked in the record and the audit
    # entry as it is in the log: what is executed is the caller's own argv, never read back from here.
    shown_command = _masked_command(command, secrets.delivered.values())
    run_id = unit.ctx.token_bytes(6).hex()
    now = unit.now()
    row = {
        "id": run_id,
        "project": project,
        "environment": env,
        "principal": unit.principal,
        "command": shown_command,
        "commit": checkout.commit,
        "ref": checkout.ref,
        "dirty": checkout.dirty,
        "image": image,
        "config_digest": digest(resolved.values),
        "executor": executor,
        "status": "running",
        "started_at": now,
        "ended_at": None,
        "exit_code": None,
        "cpu_seconds": None,
        "cost": None,
        "estimate": facts.estimate,
        "tags": all_tags,
        "reads": reads,
        "writes": writes,
        "heartbeat_at": now,
        "heartbeat_seconds": heartbeat_seconds,
        "external_id": None,
        "log_bytes": 0,
        "note": None,
    }
    runs_repo.insert_run(unit.conn, **row)
    details: dict[str, Any] = {
        "command": shown_command,
        "executor": executor,
        "image": image,
        "commit": checkout.commit,
        "ref": checkout.ref,
        "dirty": checkout.dirty,
        "config_digest": row["config_digest"],
        "reads": reads,
        "writes": writes,
    }
    if not unit.ctx.process_environment:
        # On a server the checkout's facts are the launcher's word: the entry says whose (the key's prefix).
        details["reported_by"] = unit.ctx.api_key_prefix
    unit.audit(environment=env, target=run_id, details=details)
    variables = {"STAGEWARD_ENV": env, "STAGEWARD_RUN_ID": run_id, **_data_variables(policy, reads, writes)}
    if unit.ctx.bound_environment is None:
        # The run acts as whoever launched it (its SDK calls too); with an API key, the key says who.
        variables["STAGEWARD_USER"] = unit.principal
    if unit.ctx.process_environment:
        # The launcher is this process: the run reaches the same store. A remote launcher's run reaches the
        # server through the launcher's own STAGEWARD_URL and STAGEWARD_API_KEY, passed on with its environment.
        variables.update(_store_variables(unit))
    return RunBegun(
        run=RunRecord.of(row),
        config=json.dumps(values, sort_keys=True),
        secret_values=sorted(secrets.delivered.values()),
        variables=variables,
        heartbeat_seconds=heartbeat_seconds,
    )


# No REST route: a launch executes the command on the machine that calls it, and a server must never execute
# a caller's command with its own store, blobs and master key at hand. A remote launcher executes it where it
# runs and asks the server to decide and record through runs.begin, runs.beat and runs.finish (remote_run.py).
@verb("runs.launch", write=True, flow=lambda c, a, u: _launch_flow(c, a, u))
def launch(
    unit: Unit,
    *,
    env: str,
    command: list[str],
    image: str | None = None,
    reads: list[str] | None = None,
    writes: list[str] | None = None,
    executor: str = "local",
    tags: dict[str, str] | None = None,
    workdir: Path | None = None,
    echo: OutputEcho | None = None,
) -> RunRecord:
    """Run COMMAND in ENV once every guardrail passes; its output is streamed, masked and stored."""
    launching = _LAUNCHING.get()
    if launching is None:
        raise RuntimeError("the unit of runs.launch runs inside its flow, which reads the checkout first")
    launching.begun = _begin(
        unit,
        env=env,
        command=command,
        image=image,
        reads=reads,
        writes=writes,
        executor=executor,
        tags=tags,
        checkout=launching.checkout,
        heartbeat_seconds=launching.heartbeat_seconds,
        workdir=workdir,
    )
    return launching.begun.run


def _launch_flow(ctx: Context, arguments: dict[str, Any], unit: Callable[[dict[str, Any]], Any]) -> RunRecord:
    from stageward.service.run_launcher import LocalDesk, execute_run, read_checkout

    if not ctx.process_environment and arguments.get("executor", "local") != "ray":
        # A server's context (a retrain reached through promotion.approve or execute over REST): executing here
        # would run a command on the server, with its store, blobs and master key within reach. Never. The ray
        # executor runs it on the cluster instead (the server's own scheduler launches only so).
        raise Denied(
            f"denied: a Stageward server never executes a command (runs.launch in {arguments['env']})",
            permission="runs.launch",
            environment=arguments["env"],
            hint="a run executes where its code is checked out: stageward run, or promotion execute, from there",
        )
    policy = ctx.environment(arguments["env"])
    workdir = arguments.get("workdir")
    checkout = read_checkout(ctx.project.root, workdir, ctx.environ, policy.vulnerability_scan)
    heartbeat = seconds_from(ctx.environ, "STAGEWARD_RUN_HEARTBEAT_SECONDS", HEARTBEAT_SECONDS)
    grace = seconds_from(ctx.environ, "STAGEWARD_RUN_GRACE_SECONDS", GRACE_SECONDS)
    launching = _Launching(checkout, heartbeat)
    token = _LAUNCHING.set(launching)
    try:
        unit(arguments)
    finally:
        _LAUNCHING.reset(token)
    assert launching.begun is not None
    return execute_run(
        LocalDesk(ctx),
        launching.begun,
        command=list(arguments["command"]),
        workdir=workdir or ctx.project.root,
        environ=ctx.environ,
        grace_seconds=grace,
        echo=arguments.get("echo"),
    )


@verb("runs.begin", write=True, http=("POST", "/envs/{env}/runs"))
def begin(
    unit: Unit,
    *,
    env: str,
    command: list[str],
    image: str | None = None,
    reads: list[str] | None = None,
    writes: list[str] | None = None,
    executor: str = "local",
    tags: dict[str, str] | None = None,
    commit: str | None = None,
    ref: str | None = None,
    dirty: bool | None = None,
    lockfile: str | None = None,
    heartbeat_seconds: float = HEARTBEAT_SECONDS,
) -> RunBegun:
    """Begin a run its launcher executes (stageward run with STAGEWARD_URL): every guardrail, on the checkout the
    launcher reports (commit, ref, dirty tree, the lockfile's text), the run recorded, its config handed over."""
    if unit.ctx.bound_environment not in (None, env):
        # A key of another environment learns nothing of this one's guardrails, quotas or spend.
        unit.require("runs.launch", env)
    return _begin(
        unit,
        env=env,
        command=command,
        image=image,
        reads=reads,
        writes=writes,
        executor=executor,
        tags=tags,
        checkout=Checkout(commit=commit, ref=ref, dirty=dirty, lockfile=lockfile),
        heartbeat_seconds=float(heartbeat_seconds),
    )


@verb("runs.beat", write=True, http=("POST", "/runs/{run_id}/beat"))
def beat(unit: Unit, *, run_id: str, log_blob: str | None = None) -> RunBeat:
    """Keep a run you launched alive (its launcher calls this every few seconds); LOG_BLOB, a blob of the masked
    output already in the environment's store, joins the run's log as its next chunk."""
    from stageward.store.blobs.base import check_digest
    from stageward.store.db import runs_repo

    row = _run_here(unit, run_id)
    _launcher_only(unit, row)
    if row["status"] not in ("running", "lost"):
        raise Conflict(f"run {run_id} already ended {row['status']}")
    sequence = runs_repo.next_log_sequence(unit.conn, run_id)
    log_bytes = int(row["log_bytes"])
    if log_blob is not None:
        from stageward.store.db import blob_repo

        check_digest(log_blob)
        store = unit.ctx.blob_store(row["environment"])
        if blob_repo.held_by_another_project(unit.conn, row["project"], row["environment"], log_blob):
            # Answered as a blob that is not there: naming another project's digest reads nothing, learns nothing.
            raise NotFound(f"blob sha256:{log_blob[:12]} is missing from {store.url}")
        # The size is the store's, never the launcher's word: `runs logs` pages by it.
        size = store.size(log_blob)
        runs_repo.add_log_chunk(unit.conn, run_id, sequence, log_bytes, size, log_blob)
        sequence, log_bytes = sequence + 1, log_bytes + size
    runs_repo.heartbeat(unit.conn, run_id, unit.now())
    # Bookkeeping of a running run: no audit entry per beat (docs/runs.md); the begin and the finish are audited.
    unit.unchanged()
    return RunBeat(run_id=run_id, status=str(row["status"]), log_chunks=sequence, log_bytes=log_bytes)


def _launcher_only(unit: Unit, row: dict[str, Any]) -> None:
    """Only the principal that launched a run, holding runs.launch in its environment, writes its progress."""
    unit.require("runs.launch", row["environment"])
    if row["principal"] != unit.principal:
        raise Denied(
            f"denied: run {row['id']} was launched by {row['principal']}; only its launcher records its progress",
            permission="runs.launch",
            environment=row["environment"],
        )


@verb("runs.finish", write=True, http=("POST", "/runs/{run_id}/finish"))
def finish(
    unit: Unit,
    *,
    run_id: str,
    status: str,
    exit_code: int | None = None,
    cpu_seconds: float = 0.0,
    external_id: str | None = None,
    note: str | None = None,
) -> RunRecord:
    """Record how a run ended (its launcher calls this): status, exit code, CPU seconds and so its cost."""
    from stageward.runs.cost import cost_of
    from stageward.store.db import runs_repo

    if status not in ENDINGS:
        raise BadInput(f"runs.finish: status {status!r}: expected {', '.join(ENDINGS)}")
    row = _run_here(unit, run_id)
    if row["principal"] != unit.principal:
        raise Denied(
            f"denied: run {run_id} was launched by {row['principal']}; only its launcher records its end",
            permission="runs.launch",
            environment=row["environment"],
        )
    unit.require("runs.launch", row["environment"])
    if row["status"] not in ("running", "lost"):
        raise Conflict(f"run {run_id} already ended {row['status']}")
    if not 0 <= cpu_seconds < 1e12:
        raise BadInput(f"runs.finish: cpu_seconds {cpu_seconds} out of range")
    policy = unit.ctx.environment(row["environment"])
    fields = {
        "status": status,
        "exit_code": exit_code,
        "cpu_seconds": cpu_seconds,
        "cost": cost_of(cpu_seconds, policy.cost.per_cpu_hour),
        "ended_at": unit.now(),
        "note": note,
        "external_id": external_id or row["external_id"],
    }
    runs_repo.update_run(unit.conn, run_id, **fields)
    unit.audit(
        environment=row["environment"],
        target=run_id,
        details={k: fields[k] for k in ("status", "exit_code", "cpu_seconds", "cost", "note")},
    )
    return RunRecord.of({**row, **fields})


def _run_here(unit: Unit, run_id: str) -> dict[str, Any]:
    """RUN_ID of this project, else NotFound (a run of another project is not named to this one)."""
    from stageward.store.db import runs_repo

    if not re.fullmatch(r"[0-9a-f]{1,32}", run_id):
        # As --run and STAGEWARD_RUN_ID are answered (service/run_lineage.py): no run could have that id.
        raise BadInput(f"run id {run_id!r}: a run id is hexadecimal (stageward runs list)")
    row = runs_repo.get_run(unit.conn, run_id)
    if row is None or row["project"] != unit.ctx.project.spec.project:
        raise NotFound(f"no run {run_id} in project {unit.ctx.project.spec.project}")
    return row


def _readable(unit: Unit, run_id: str) -> dict[str, Any]:
    row = _run_here(unit, run_id)
    unit.require("env.read", row["environment"])
    return row


@verb("runs.list", http=("GET", "/runs"))
def list_runs(unit: Unit, *, env: str | None = None, status: str | None = None, limit: int = 50) -> list[RunRecord]:
    """Runs of this project, newest first, in the environments you can read (or ENV)."""
    from stageward.store.db import runs_repo

    if not 1 <= limit <= 1000:
        raise BadInput("runs.list: limit must be between 1 and 1000")
    if env is not None:
        unit.require("env.read", env)
        where = [env]
    else:
        where = unit.require_somewhere("env.read")
    now = unit.ctx.clock.now()
    rows = runs_repo.list_runs(unit.conn, unit.ctx.project.spec.project, where, limit=None if status else limit)
    records = [RunRecord.of(row, status=effective_status(row, now)) for row in rows]
    if status is not None:
        records = [r for r in records if r.status == status]
    return records[:limit]


@verb("runs.show", http=("GET", "/runs/{run_id}"))
def show(unit: Unit, *, run_id: str) -> RunDetail:
    """One run: its record and the metrics it logged."""
    from stageward.store.db import runs_repo

    row = _readable(unit, run_id)
    metrics = [RunMetric(**m) for m in runs_repo.metrics_of(unit.conn, run_id)]
    return RunDetail(run=RunRecord.of(row, status=effective_status(row, unit.ctx.clock.now())), metrics=metrics)


@verb("runs.logs", http=("GET", "/runs/{run_id}/logs"))
def logs(unit: Unit, *, run_id: str, after: int | None = None, chunks: int = 4) -> LogPage:
    """A page of a run's log (masked when captured): up to CHUNKS chunks after chunk AFTER (none: the first page)."""
    from stageward.store.db import runs_repo

    if not 1 <= chunks <= 64:
        raise BadInput("runs.logs: chunks must be between 1 and 64")
    # Leaving AFTER out starts at the first chunk; -1 says the same (a query string carries no minus sign).
    after = -1 if after is None else after
    row = _readable(unit, run_id)
    page = runs_repo.log_chunks(unit.conn, run_id, after=after, limit=chunks + 1)
    more = len(page) > chunks
    page = page[:chunks]
    store = unit.ctx.blob_store(row["environment"])
    data = bytearray()
    for chunk in page:
        with store.open_read(chunk["digest"]) as stream:
            data += stream.read()
    return LogPage(
        run_id=run_id,
        status=effective_status(row, unit.ctx.clock.now()),
        data=base64.b64encode(bytes(data)).decode("ascii"),
        next_after=page[-1]["sequence"] if page else after,
        more=more,
    )


@verb("runs.log_metric", write=True, http=("POST", "/runs/{run_id}/metrics"))
def log_metric(unit: Unit, *, run_id: str, key: str, value: float, step: int = 0) -> RunMetric:
    """Record metric KEY of a running run you launched (the SDK's stageward.log_metric)."""
    import math

    from stageward.store.db import runs_repo

    row = _run_here(unit, run_id)
    unit.require("runs.launch", row["environment"])
    if row["principal"] != unit.principal:
        raise Denied(
            f"denied: run {run_id} was launched by {row['principal']}",
            permission="runs.launch",
            environment=row["environment"],
        )
    if row["status"] != "running":
        raise Conflict(f"run {run_id} is {row['status']}: metrics are logged while it runs")
    if not re.fullmatch(r"[A-Za-z0-9_.\-/]{1,128}", key):
        raise BadInput(f"metric name {key!r}: letters, digits, _ . - / (at most 128)")
    if not math.isfinite(value):
        raise BadInput(f"metric {key}: the value must be a finite number")
    if not 0 <= step < 2**31:
        raise BadInput(f"metric {key}: step must be between 0 and {2**31 - 1}")
    runs_repo.put_metric(unit.conn, run_id, key, step, float(value), unit.now())
    unit.audit(environment=row["environment"], target=run_id, details={"metric": key, "step": step})
    return RunMetric(key=key, step=step, value=float(value), at=unit.now())
