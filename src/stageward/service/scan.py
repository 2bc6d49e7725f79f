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


def inside_project(root: Path, relative: str, key: str) -> Path:
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

    lockfile = inside_project(root, settings.lockfile, "lockfile")
    folder = inside_project(root, settings.advisories, "advisories")
    return scan(lockfile, settings.lockfile, folder, settings.advisories, settings.fail_on)


def scan_reported(root: Path, settings: VulnerabilityScan, lockfile: str | None) -> list[Finding]:
    """The scan of the lockfile text a launcher reported (None: it found none) against the advisories under ROOT,
    the folder of the process that decides (the server's, on a server): a launcher never supplies advisories."""
    from stageward.runs.scan import scan_text

    folder = inside_project(root, settings.advisories, "advisories")
    return scan_text(lockfile, settings.lockfile, folder, settings.advisories, settings.fail_on)


def read_lockfile_text(root: Path, settings: VulnerabilityScan) -> str | None:
    """The launcher's side: the text of the lockfile the policy names, in the checkout at ROOT (None: not there)."""
    path = inside_project(root, settings.lockfile, "lockfile")
    try:
        return path.read_bytes().decode("utf-8", errors="replace")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise BadInput(f"{settings.lockfile}: cannot read the lockfile ({type(exc).__name__})") from None


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
