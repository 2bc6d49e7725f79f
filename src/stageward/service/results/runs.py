"""Results of the runs verbs (`runs.*`, `scan.check`, `cost.report`, `schedules.*`)."""

from __future__ import annotations

from typing import Any, Protocol

from pydantic import Field

from stageward.service.results.base import Result


class OutputEcho(Protocol):
    """Where a launcher shows a run's output as it comes (the CLI: the terminal), already masked."""

    def __call__(self, data: bytes, /) -> None: ...


class RunRecord(Result):
    """A run as SPEC §7 records it."""

    id: str
    project: str
    environment: str
    principal: str
    command: list[str]
    commit: str | None
    ref: str | None
    dirty: bool | None
    image: str | None
    config_digest: str
    executor: str
    status: str  # running | succeeded | failed | cancelled | lost
    started_at: str
    ended_at: str | None
    exit_code: int | None
    cpu_seconds: float | None
    cost: float | None
    estimate: float
    tags: dict[str, str]
    reads: list[str]
    writes: list[str]
    external_id: str | None
    log_bytes: int
    note: str | None

    @classmethod
    def of(cls, row: dict[str, Any], *, status: str | None = None) -> RunRecord:
        fields = {name: row[name] for name in cls.model_fields if name != "status"}
        return cls(status=status or row["status"], **fields)


class RunBegun(Result):
    """A run recorded and allowed to start: what its launcher needs to execute it (runs.begin).

    The config holds the secrets the run is given; it goes to the launcher alone, which passes it to the run as
    the STAGEWARD_CONFIG file and masks those values in the output. It is never logged, audited or recorded.
    """

    run: RunRecord
    config: str = Field(repr=False, description="the resolved config as JSON, secrets revealed (the run's file)")
    secret_values: list[str] = Field(repr=False, description="the values delivered, masked in the run's output")
    variables: dict[str, str] = Field(description="STAGEWARD_ENV, STAGEWARD_RUN_ID, STAGEWARD_DATA_*: no secret")
    heartbeat_seconds: float


class RunBeat(Result):
    """A heartbeat of a running run, and the length of its stored log."""

    run_id: str
    status: str
    log_chunks: int
    log_bytes: int


class RunMetric(Result):
    key: str
    step: int
    value: float
    at: str


class RunDetail(Result):
    run: RunRecord
    metrics: list[RunMetric]


class LogPage(Result):
    """A page of a run's log: base64 of at most a few chunks, never the whole log."""

    run_id: str
    status: str
    data: str  # base64 of the bytes (binary output survives JSON)
    next_after: int  # pass as `after` for the next page
    more: bool  # more chunks are stored past this page


class ScanFinding(Result):
    package: str
    version: str
    advisory: str
    severity: str
    fixed: str | None
    summary: str
    blocking: bool


class ScanReport(Result):
    environment: str
    lockfile: str
    advisories: str
    fail_on: list[str]
    findings: list[ScanFinding]
    blocking: int


class CostRow(Result):
    group: str
    runs: int
    cpu_seconds: float
    cost: float


class CostReport(Result):
    by: str
    tag: str | None
    since: str | None
    until: str | None
    rows: list[CostRow]
    total: float


class ScheduleRecord(Result):
    id: int
    environment: str
    name: str
    cron: str
    pipeline: str
    created_by: str
    created_at: str
    last_fired_at: str | None
    next_due: str | None


class FiredSchedule(Result):
    """A schedule found due by one scheduler pass: fired once, its older missed times only counted."""

    environment: str
    name: str
    pipeline: str
    command: list[str]
    due: str
    missed: int
    missed_times: list[str]


class TickResult(Result):
    """One scheduler pass: whether it held the lease, what fell due, and the run each launch made or its error."""

    holder: str
    leased: bool
    fired: list[FiredSchedule]
    runs: list[str]
    errors: list[str]
