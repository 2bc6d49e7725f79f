"""The `model` verbs: thin declarations over service/assets.py."""

from __future__ import annotations

from typing import Any

from stageward.registry.progress import Progress
from stageward.service import assets
from stageward.service.catalogue import verb
from stageward.service.unit import Unit

KIND = "model"


# upload and download read and write paths on the machine that runs the verb, so they have no
# HTTP route: over REST a path would name a file on the server. A remote client streams bytes instead.
@verb("model.upload", permission="assets.register")
def upload(unit: Unit, *, env: str, path: str, progress: Progress | None = None) -> dict[str, Any]:
    """Stream the files of a model into ENV's blob store; nothing is recorded yet."""
    return assets.upload(unit, env=env, path=path, progress=progress)


@verb("model.register", permission="assets.register", write=True, http=("POST", "/envs/{env}/models"))
def register(
    unit: Unit,
    *,
    env: str,
    name: str,
    files: list[dict[str, Any]],
    metrics: dict[str, Any] | None = None,
    params: dict[str, Any] | None = None,
    tags: dict[str, Any] | None = None,
    run: str | None = None,
    git_commit: str | None = None,
    config_digest: str | None = None,
) -> dict[str, Any]:
    """Record a new version of a model from files already uploaded."""
    return assets.register(
        unit,
        KIND,
        env=env,
        name=name,
        files=files,
        metrics=metrics,
        params=params,
        tags=tags,
        run=run,
        git_commit=git_commit,
        config_digest=config_digest,
    )


@verb("model.list", http=("GET", "/models"))
def list_assets(unit: Unit, *, env: str | None = None) -> list[dict[str, Any]]:
    """The models in ENV, or in every environment the caller can read."""
    return assets.list_assets(unit, KIND, env=env)


@verb("model.show", http=("GET", "/envs/{env}/models/{ref}"))
def show(unit: Unit, *, env: str, ref: str, lineage: bool = False) -> dict[str, Any]:
    """One version: NAME (latest), NAME:VERSION, NAME@ALIAS or ENV/NAME@ALIAS."""
    return assets.show(unit, KIND, env=env, ref=ref, lineage_chain=lineage)


@verb("model.download")
def download(
    unit: Unit, *, env: str, ref: str, dest: str, progress: Progress | None = None
) -> dict[str, Any]:
    """Write a version's files into DEST (new or empty), each checked against its sha256."""
    return assets.download(unit, KIND, env=env, ref=ref, dest=dest, progress=progress)


@verb(
    "model.alias_set",
    permission="assets.alias",
    write=True,
    http=("PUT", "/envs/{env}/models/{name}/aliases"),
)
def alias_set(unit: Unit, *, env: str, name: str, version: int, alias: str) -> dict[str, Any]:
    """Point ALIAS at VERSION; the move is kept in the alias history."""
    return assets.alias_set(unit, KIND, env=env, name=name, version=version, alias=alias)


@verb("model.alias_history", permission="env.read", http=("GET", "/envs/{env}/models/{name}/aliases"))
def alias_history(unit: Unit, *, env: str, name: str, alias: str | None = None) -> list[dict[str, Any]]:
    """Every move of the model's aliases, oldest first."""
    return assets.alias_history(unit, KIND, env=env, name=name, alias=alias)


@verb(
    "model.rollback",
    permission="assets.alias",
    write=True,
    http=("POST", "/envs/{env}/models/{name}/rollback"),
)
def rollback(unit: Unit, *, env: str, name: str, alias: str) -> dict[str, Any]:
    """Return ALIAS to the version it held before its current one."""
    return assets.rollback(unit, KIND, env=env, name=name, alias=alias)
