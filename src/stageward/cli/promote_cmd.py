"""stageward promote ... and stageward plan ... (the same arguments)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from stageward.cli import render
from stageward.cli.options import JSON
from stageward.cli.state import call

if TYPE_CHECKING:
    from stageward.errors import PartlyFailed
    from stageward.service.results.promotion import Promotion, PromotionPreview

SOURCE = typer.Option(..., "--from", help="The environment the version is in.")
TARGET = typer.Option(..., "--to", help="The environment to promote into.")
ALIAS = typer.Option("champion", "--alias", help="The alias that moves in the target.")
MODE = typer.Option(None, "--mode", help="copy, retrain or auto (default: the target's promotion.mode).")


def describe(result: Promotion) -> str:
    state = result.state
    if state == "executed":
        return (
            f"promotion {result.id} executed: {result.result} holds @{result.alias} "
            f"(from {result.source})"
        )
    if state == "pending":
        have = len(result.approvals)
        return f"promotion {result.id} pending: {have}/{result.required_approvals} approval(s)"
    return f"promotion {result.id} {state}" + (f": {result.note}" if result.note else "")


def show_rejected(failed: PartlyFailed, *, as_json: bool) -> None:
    """A promotion its gates rejected (SPEC §6): every gate with its value and bound, before the error says why;
    with --json, the whole rejected promotion."""
    result = failed.result
    if as_json:
        render.record(result, as_json=True)
    else:
        render.table(result.gates, as_json=False, title=f"promotion {result.id}: gates")


def promote(
    name: str = typer.Argument(...),
    version: int = typer.Argument(...),
    source: str = SOURCE,
    target: str = TARGET,
    alias: str = ALIAS,
    mode: str | None = MODE,
    reason: str | None = typer.Option(None, "--reason"),
    as_json: bool = JSON,
) -> None:
    """Request the promotion of NAME VERSION from one environment to the next."""
    from stageward.cli.progress import for_terminal
    from stageward.errors import PartlyFailed

    try:
        result = call(
            "promotion.request",
            env=target,
            name=name,
            version=version,
            source=source,
            alias=alias,
            mode=mode,
            reason=reason,
            progress=for_terminal(as_json),
        )
    except PartlyFailed as rejected:
        show_rejected(rejected, as_json=as_json)
        raise
    render.done(describe(result), as_json=as_json, data=result)


def plan(
    name: str = typer.Argument(...),
    version: int = typer.Argument(...),
    source: str = SOURCE,
    target: str = TARGET,
    alias: str = ALIAS,
    mode: str | None = MODE,
    reason: str | None = typer.Option(None, "--reason", help="The reason promote would record."),
    as_json: bool = JSON,
) -> None:
    """Show what promote would do, without doing it; exit 1 if it would be rejected, refused or denied."""
    from stageward.errors import CheckFailed

    result = call(
        "promotion.plan",
        env=target,
        name=name,
        version=version,
        source=source,
        alias=alias,
        mode=mode,
        reason=reason,
    )
    if as_json:
        render.record(result, as_json=True)
    else:
        _show_plan(result)
    if not (result.gates_pass and result.executable and result.permitted):
        raise CheckFailed(f"plan: {result.outcome}")


def _show_plan(result: PromotionPreview) -> None:
    render.record(
        {
            "source": result.source,
            "target": result.target_env,
            "mode": f"{result.mode} ({result.mode_reason})",
            "unavailable": result.unavailable,
            "approvals needed": result.approvals_required,
            "alias": f"@{result.alias}: {result.alias_from or 'nobody'} -> {result.alias_to}",
            "copy": result.copy_,
            "retrain": result.retrain,
            "deciding files": ", ".join(result.deciding_files) or None,
            "reason": result.reason,
            "outcome": result.outcome,
        },
        as_json=False,
        title="plan",
    )
    render.table(result.gates, as_json=False, title="gates")
