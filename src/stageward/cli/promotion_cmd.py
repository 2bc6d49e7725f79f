"""stageward promotion list|show|approve|reject|execute"""

from __future__ import annotations

import typer

from stageward.cli import render
from stageward.cli.options import ENV_OPTIONAL, JSON
from stageward.cli.promote_cmd import describe, show_rejected
from stageward.cli.state import call

app = typer.Typer(help="Promotion requests: the queue, approvals, execution.", no_args_is_help=True)
COMMENT = typer.Option(None, "--comment")


@app.command("list")
def list_promotions(
    env: str | None = ENV_OPTIONAL,
    state: str | None = typer.Option(None, "--state", help="pending, approved, executed or rejected."),
    as_json: bool = JSON,
) -> None:
    """Promotions you can see, newest first."""
    rows = call("promotion.list", env=env, state=state)
    render.table(rows, as_json=as_json)


# What `promotion show` prints above its gates and decisions.
_SHOWN = (
    "id", "source", "target_env", "alias", "mode", "state", "reason", "requested_by", "requested_at",
    "required_approvals", "approvals", "result", "note",
)


@app.command("show")
def show(promotion_id: int = typer.Argument(..., metavar="ID"), as_json: bool = JSON) -> None:
    """One promotion: gates, decisions, result."""
    result = call("promotion.show", id=promotion_id)
    if as_json:
        render.record(result, as_json=True)
        return
    render.record(
        {k: getattr(result, k) for k in _SHOWN},
        as_json=False,
        title=f"promotion {promotion_id}",
    )
    render.table(result.gates, as_json=False, title="gates")
    render.table(result.decisions, as_json=False, title="decisions")


@app.command("approve")
def approve(
    promotion_id: int = typer.Argument(..., metavar="ID"), comment: str | None = COMMENT, as_json: bool = JSON
) -> None:
    """Approve; the last required approval executes the promotion."""
    from stageward.cli.progress import for_terminal
    from stageward.errors import PartlyFailed

    try:
        result = call("promotion.approve", id=promotion_id, comment=comment, progress=for_terminal(as_json))
    except PartlyFailed as rejected:  # the last approval executed it, and the gates measured then rejected it
        show_rejected(rejected, as_json=as_json)
        raise
    render.done(describe(result), as_json=as_json, data=result)


@app.command("reject")
def reject(
    promotion_id: int = typer.Argument(..., metavar="ID"), comment: str | None = COMMENT, as_json: bool = JSON
) -> None:
    """Reject; the promotion will not execute."""
    result = call("promotion.reject", id=promotion_id, comment=comment)
    render.done(describe(result), as_json=as_json, data=result)


@app.command("execute")
def execute(promotion_id: int = typer.Argument(..., metavar="ID"), as_json: bool = JSON) -> None:
    """Finish an approved promotion: copy its blobs if needed, then execute (safe to repeat)."""
    from stageward.cli.progress import for_terminal
    from stageward.errors import PartlyFailed

    try:
        result = call("promotion.execute", id=promotion_id, progress=for_terminal(as_json))
    except PartlyFailed as rejected:
        show_rejected(rejected, as_json=as_json)
        raise
    render.done(describe(result), as_json=as_json, data=result)
