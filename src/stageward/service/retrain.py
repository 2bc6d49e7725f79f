"""Retrain promotions (SPEC §6): the target's `pipelines.train` runs in the target environment at the source
version's commit, in a `git worktree` (never the user's checkout), with the target's config and secrets, through
`runs.launch` and every guardrail of the target. The version that run registers there goes through the gates
before the alias moves (promotion.execute)."""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING, Any, Protocol

from stageward.errors import BadInput, CheckFailed, NotFound
from stageward.service.catalogue import run_verb

if TYPE_CHECKING:
    from stageward.service.context import Context
    from stageward.service.results.runs import OutputEcho
    from stageward.service.unit import Unit
    from stageward.store.db.registry_repo import VersionRecord


class Requested(Protocol):
    """What a retrain reads of its promotion (the store's promotion record and the `Promotion` result are both)."""

    @property
    def id(self) -> int: ...
    @property
    def project(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def source_env(self) -> str: ...
    @property
    def source_version(self) -> int: ...
    @property
    def target_env(self) -> str: ...


def pipeline_command(folder: Any, fallback: dict[str, str]) -> list[str]:
    """`pipelines.train` as the code at FOLDER declares it (the source commit's stageward.yaml), else FALLBACK's."""
    from stageward.project.loader import load_project

    pipelines = fallback
    project_file = folder / "stageward.yaml"
    if project_file.is_file():
        pipelines = load_project(project_file).spec.pipelines
    if "train" not in pipelines:
        raise BadInput("a retrain runs pipelines.train, and stageward.yaml declares no train pipeline")
    return shlex.split(pipelines["train"])


def retrain_run(ctx: Context, promotion: Requested, source: VersionRecord, echo: OutputEcho | None) -> str:
    """Run the train pipeline for PROMOTION at SOURCE's commit in the target environment; its run id."""
    from stageward.runs.worktree import worktree_at
    from stageward.service.runs import INTERNAL_TAGS

    commit = source.git_commit
    if not commit:
        raise CheckFailed(f"retrain of {source.ref}: it records no git commit to train from")
    image = _source_image(ctx, source)
    with worktree_at(ctx.project.root, commit) as tree:
        command = pipeline_command(tree, dict(ctx.project.spec.pipelines))
        token = INTERNAL_TAGS.set({"promotion": str(promotion.id)})
        try:
            record = run_verb(
                ctx,
                "runs.launch",
                {"env": promotion.target_env, "command": command, "image": image, "workdir": tree, "echo": echo},
            )
        finally:
            INTERNAL_TAGS.reset(token)
    return str(record.id)


def _source_image(ctx: Context, source: VersionRecord) -> str | None:
    """The image the source version was trained in (its run's), so the retrain runs in the same one."""
    from stageward.store.db import runs_repo

    run = source.run
    if not run:
        return None
    with ctx.database.transaction(write=False) as conn:
        row = runs_repo.get_run(conn, run)
    return str(row["image"]) if row and row["image"] else None


def retrained_version(unit: Unit, promotion: Requested) -> tuple[dict[str, Any], VersionRecord]:
    """In the execute unit: the succeeded run of PROMOTION and the version of its asset that run registered."""
    from stageward.store.db import registry_repo, runs_repo

    env = promotion.target_env
    runs = [
        r
        for r in runs_repo.list_runs(unit.conn, promotion.project, [env], limit=None)
        if r["tags"].get("promotion") == str(promotion.id) and r["status"] == "succeeded"
    ]
    if not runs:
        raise NotFound(f"promotion {promotion.id}: no succeeded retrain run in {env}")
    run = runs[0]  # newest first
    asset = registry_repo.get_asset(unit.conn, promotion.project, env, promotion.name)
    numbers = runs_repo.versions_registered_by(unit.conn, asset.id, run["id"]) if asset else []
    if asset is None or not numbers:
        raise CheckFailed(
            f"promotion {promotion.id}: retrain run {run['id']} registered no version of "
            f"{promotion.name} in {env}",
            hint="the train pipeline registers its model: stageward.register_model(name, path, metrics=...)",
        )
    version = registry_repo.get_version(unit.conn, asset, numbers[-1])
    assert version is not None
    return run, version


def source_of(ctx: Context, promotion: Requested) -> VersionRecord:
    """The version a promotion was requested for (its requester was checked then): commit and run read here."""
    from stageward.store.db import registry_repo

    with ctx.database.transaction(write=False) as conn:
        asset = registry_repo.get_asset(conn, promotion.project, promotion.source_env, promotion.name)
        record = (
            registry_repo.get_version(conn, asset, promotion.source_version, with_files=False) if asset else None
        )
    if record is None:
        raise NotFound(f"promotion {promotion.id}: its source version is gone")
    return record
