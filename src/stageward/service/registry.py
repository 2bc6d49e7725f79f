"""Verbs over either asset kind, named by a `kind` argument: the kind is checked here, then the call goes on
to the `model.*` or `dataset.*` verb, which checks, acts and audits under its own name."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from stageward.errors import BadInput
from stageward.registry.names import KINDS
from stageward.service.catalogue import run_verb, verb
from stageward.service.results.registry import AliasMoved
from stageward.service.unit import Unit

if TYPE_CHECKING:
    from stageward.service.context import Context


def _by_kind(ctx: Context, arguments: dict[str, Any], _unit: Callable[[dict[str, Any]], Any]) -> Any:
    kind = arguments.pop("kind")
    if kind not in KINDS:
        raise BadInput(f"--kind {kind!r}: expected 'model' or 'dataset'")
    return run_verb(ctx, f"{kind}.rollback", arguments)


@verb("registry.rollback", flow=_by_kind, http=("POST", "/rollback"))
def rollback(unit: Unit, *, env: str, name: str, alias: str, kind: str = "model") -> AliasMoved:
    """Return ALIAS of the KIND (model or dataset) NAME to the version it held before its current one."""
    raise RuntimeError("registry.rollback runs as a flow of model.rollback or dataset.rollback")
