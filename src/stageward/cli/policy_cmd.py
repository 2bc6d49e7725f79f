"""stageward policy plan|apply|show|history|requests|approve|reject"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from stageward.cli import render
from stageward.cli.options import JSON
from stageward.cli.state import call

if TYPE_CHECKING:
    from stageward.service.results.policy import PolicyPlan

app = typer.Typer(
    help="The controls of stageward.yaml as the store enforces them: plan, apply, approve loosening.",
    no_args_is_help=True,
)
COMMENT = typer.Option(None, "--comment")


def _changes(result: PolicyPlan, as_json: bool) -> None:
    render.table(
        [{**c.model_dump(), "environment": c.environment or "(project)"} for c in result.changes],
        ["environment", "control", "summary", "loosens"],
        as_json=as_json,
        title="changes from the applied policy",
    )


@app.command("plan")
def plan(as_json: bool = JSON) -> None:
    """How stageward.yaml differs from the applied policy, and what applying it needs (exit 1 if it differs)."""
    result = call("policy.plan")
    if as_json:
        render.record(result, as_json=True)
    else:
        if result.changes:
            _changes(result, False)
        render.done(result.outcome)
    if not result.in_sync:
        raise typer.Exit(1)


@app.command("apply")
def apply(reason: str | None = typer.Option(None, "--reason"), as_json: bool = JSON) -> None:
    """Apply stageward.yaml's controls: at once where you may, as a request where production loosens."""
    result = call("policy.apply", reason=reason)
    if result.state == "unchanged":
        message = f"nothing to apply: the store enforces version {result.version}, as stageward.yaml says"
    elif result.state == "applied":
        count = len(result.changes)
        message = f"applied as version {result.version} of {result.project}'s policy ({count} change(s))"
    else:
        message = (
            f"policy request {result.request} opened: it loosens {', '.join(result.approval_needed)} and needs "
            f"{result.approvals_required} approval(s) (stageward policy approve {result.request})"
        )
    render.done(message, as_json=as_json, data=result)


@app.command("show")
def show(
    as_of: str | None = typer.Option(None, "--as-of", help="An ISO date or time: the policy in force then."),
    version: int | None = typer.Option(None, "--version", help="One applied version."),
    as_json: bool = JSON,
) -> None:
    """The policy the store enforces for this project."""
    result = call("policy.show", as_of=as_of, version=version)
    if as_json:
        render.record(result, as_json=True)
        return
    render.record(
        {k: getattr(result, k) for k in ("project", "version", "digest", "applied_at", "applied_by", "request")},
        as_json=False,
    )
    rows = [
        {"environment": name, **controls.model_dump(mode="json")} for name, controls in result.environments.items()
    ]
    render.table(
        rows,
        [
            "environment",
            "tier",
            "promote_from",
            "approvals",
            "gates",
            "refs",
            "require_clean_tree",
            "images",
            "aliases",
        ],
        as_json=False,
    )
    if result.generators:
        render.table(
            [{"generator": n, "command": " ".join(c)} for n, c in result.generators.items()],
            ["generator", "command"],
            as_json=False,
        )


@app.command("history")
def history(as_json: bool = JSON) -> None:
    """Every applied version: who, when, through which request, what changed."""
    from stageward.service.results.policy import PolicyVersion

    rows = call("policy.history")
    render.table(
        [{**r.model_dump(), "changes": f"{len(r.changes)} change(s)"} for r in rows] if not as_json else rows,
        PolicyVersion.columns,
        as_json=as_json,
    )


@app.command("requests")
def requests(
    state: str | None = typer.Option(None, "--state", help="pending, applied, rejected or superseded."),
    as_json: bool = JSON,
) -> None:
    """Policy change requests, newest first."""
    rows = call("policy.requests", state=state)
    shown = [{**r.model_dump(), "loosens": [c.summary for c in r.changes if c.loosens]} for r in rows]
    render.table(
        shown if not as_json else rows,
        ["id", "state", "loosens", "approvals", "required_approvals", "requested_by", "requested_at", "note"],
        as_json=as_json,
    )


@app.command("approve")
def approve(
    request_id: int = typer.Argument(..., metavar="ID"), comment: str | None = COMMENT, as_json: bool = JSON
) -> None:
    """Approve a policy change request; the last required approval applies it."""
    result = call("policy.approve", id=request_id, comment=comment)
    if result.state == "applied":
        message = f"policy request {request_id} approved and applied as version {result.result_version}"
    else:
        message = f"policy request {request_id} approved ({len(result.approvals)}/{result.required_approvals})"
    render.done(message, as_json=as_json, data=result)


@app.command("reject")
def reject(
    request_id: int = typer.Argument(..., metavar="ID"), comment: str | None = COMMENT, as_json: bool = JSON
) -> None:
    """Reject a policy change request (or withdraw your own)."""
    result = call("policy.reject", id=request_id, comment=comment)
    render.done(f"policy request {request_id} rejected", as_json=as_json, data=result)
