"""`scan`: the environment's vulnerability scan alone, as the launch guardrail runs it."""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from stageward.errors import BadInput, NotFound
from stageward.service.catalogue import verb
from stageward.service.results.runs import ScanFinding, ScanReport

if TYPE_CHECKING:
    from stageward.project.model import VulnerabilityScan
    from stageward.runs.scan import Finding
    from stageward.service.unit import Unit


def _inside(root: Path, relative: str, key: str) -> Path:
    """RELATIVE under ROOT: a policy may not point the scan at files outside the project (absolute, ..)."""
    shown = PurePosixPath(relative)
    if not relative or shown.is_absolute() or ".." in shown.parts:
        raise BadInput(f"vulnerability_scan.{key} {relative!r}: expected a path inside the project, without ..")
    path = root / relative
    resolved, base = path.resolve(), root.resolve()
    if resolved != base and base not in resolved.parents:
        raise BadInput(f"vulnerability_scan.{key} {relative!r}: leaves the project (a symbolic link)")
    return path


def scan_in(root: Path, settings: VulnerabilityScan) -> list[Finding]:
    from stageward.runs.scan import scan

    lockfile = _inside(root, settings.lockfile, "lockfile")
    folder = _inside(root, settings.advisories, "advisories")
    return scan(lockfile, settings.lockfile, folder, settings.advisories, settings.fail_on)


@verb("scan.check", permission="env.read", http=("GET", "/envs/{env}/scan"))
def check(unit: Unit, *, env: str) -> ScanReport:
    """The vulnerability scan of ENV: its lockfile against its advisories, offline; blocking findings counted."""
    settings = unit.ctx.environment(env).vulnerability_scan
    if settings is None:
        raise NotFound(f"{env} declares no vulnerability_scan", hint="add vulnerability_scan: to it in stageward.yaml")
    findings = [ScanFinding(**vars(f)) for f in scan_in(unit.ctx.project.root, settings)]
    return ScanReport(
        environment=env,
        lockfile=settings.lockfile,
        advisories=settings.advisories,
        fail_on=list(settings.fail_on),
        findings=findings,
        blocking=sum(1 for f in findings if f.blocking),
    )
