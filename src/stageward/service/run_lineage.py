"""The seam between the registry and runs: which run a version records, and what verify checks of it."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from stageward.errors import BadInput, NotFound

if TYPE_CHECKING:
    from stageward.service.unit import Unit
    from stageward.store.db.registry_repo import VersionRecord

_RUN_ID = re.compile(r"^[0-9a-f]{1,32}$")


def registering_run(unit: Unit, env: str, run: str | None) -> dict[str, Any] | None:
    """The run a version registered in ENV records: RUN (--run), else STAGEWARD_RUN_ID of the caller (a
    registration from inside `stageward run`); it must be a run of this project in ENV. None outside runs."""
    from stageward.store.db import runs_repo

    chosen = run if run is not None else (unit.ctx.environ.get("STAGEWARD_RUN_ID") or None)
    if chosen is None:
        return None
    where = "--run" if run is not None else "STAGEWARD_RUN_ID"
    if not _RUN_ID.fullmatch(chosen):
        raise BadInput(f"{where} {chosen!r}: a run id is hexadecimal (stageward runs list)")
    row = runs_repo.get_run(unit.conn, chosen)
    if row is None or row["project"] != unit.ctx.project.spec.project:
        raise NotFound(f"{where} {chosen}: no such run in project {unit.ctx.project.spec.project}")
    if row["environment"] != env:
        raise BadInput(f"{where} {chosen}: the run ran in {row['environment']}, not in {env}")
    return row


def run_problems(unit: Unit, version: VersionRecord) -> list[str]:
    """What does not hold between VERSION and the run it records: the run exists and succeeded (or still
    runs), and its commit and config digest are the version's. Empty when it records no run."""
    from stageward.store.db import runs_repo

    run_id = version.run
    if not run_id:
        return []
    row = runs_repo.get_run(unit.conn, run_id) if _RUN_ID.fullmatch(str(run_id)) else None
    if row is None or row["project"] != unit.ctx.project.spec.project:
        return [f"{version.ref}: its run {run_id} does not exist"]
    problems = []
    if row["status"] not in ("succeeded", "running"):
        problems.append(f"{version.ref}: its run {run_id} ended {row['status']}")
    for key, ran in (("git_commit", row["commit"]), ("config_digest", row["config_digest"])):
        if getattr(version, key) != ran:
            problems.append(f"{version.ref}: its {key} {getattr(version, key)!r} is not its run's ({ran!r})")
    return problems


def run_summary(unit: Unit, run_id: str | None) -> dict[str, Any] | None:
    """The facts of the run a lineage starts from, for verify's report: commit, config digest, image."""
    from stageward.store.db import runs_repo

    if not run_id or not _RUN_ID.fullmatch(run_id):
        return None
    row = runs_repo.get_run(unit.conn, run_id)
    if row is None:
        return None
    keys = ("id", "environment", "status", "commit", "ref", "dirty", "image", "config_digest", "executor")
    return {key: row[key] for key in keys}
