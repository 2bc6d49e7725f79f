"""stageward scan --env ENV"""

from __future__ import annotations

from stageward.cli import render
from stageward.cli.options import ENV, JSON
from stageward.cli.state import call


def scan(env: str = ENV, as_json: bool = JSON) -> None:
    """Match the environment's pinned lockfile against its OSV advisories, offline; exit 1 if any blocks."""
    from stageward.errors import CheckFailed

    report = call("scan.check", env=env)
    if as_json:
        render.done("", as_json=True, data=report.model_dump(mode="json"))
    else:
        rows = [f.model_dump(mode="json") for f in report.findings]
        render.table(
            rows,
            ["package", "version", "advisory", "severity", "fixed", "blocking"],
            as_json=False,
            title=f"{report.lockfile} against {report.advisories}",
        )
    if report.blocking:
        raise CheckFailed(
            f"{report.blocking} finding(s) at {', '.join(report.fail_on)} block runs in {env}",
            hint="upgrade to the fixed versions listed",
        )
    if not as_json:
        render.done(f"no finding blocks runs in {env} (fail_on: {', '.join(report.fail_on)})")
