"""The verbs of one asset kind (`model.*` or `dataset.*`), declared once over service/assets.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from stageward.registry.progress import Progress
from stageward.service import assets
from stageward.service.catalogue import HttpMethod, verb
from stageward.service.results.registry import (
    AliasMove,
    AliasMoved,
    AliasSet,
    AssetSummary,
    Downloaded,
    Published,
    Uploaded,
    Version,
    VersionDetail,
)
from stageward.service.unit import Unit

if TYPE_CHECKING:
    from stageward.service.context import Context


def declare_asset_verbs(kind: str) -> None:
    """Register KIND's verbs in the catalogue: the two kinds differ only in name and route."""
    plural = f"{kind}s"

    def declare(
        action: str,
        function: Callable[..., Any],
        doc: str,
        *,
        permission: str | None = None,
        write: bool = False,
        http: tuple[HttpMethod, str] | None = None,
        flow: Callable[[Context, dict[str, Any], Callable[[dict[str, Any]], Any]], Any] | None = None,
    ) -> None:
        function.__doc__ = doc
        function.__name__ = function.__qualname__ = action
        verb(f"{kind}.{action}", permission=permission, write=write, http=http, flow=flow)(function)

    # upload and download read and write paths on the machine that runs the verb, so they have no
    # HTTP route: over REST a path would name a file on the server. A remote client streams bytes instead.
    def upload(unit: Unit, *, env: str, path: str, progress: Progress | None = None) -> Uploaded:
        return assets.upload(unit, env=env, path=path, progress=progress)

    declare(
        "upload", upload, f"Stream the files of a {kind} into ENV's blob store; nothing is recorded yet.",
        permission="assets.register",
    )

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
    ) -> Version:
        return assets.register(
            unit, kind, env=env, name=name, files=files, metrics=metrics, params=params, tags=tags,
            run=run, git_commit=git_commit, config_digest=config_digest,
        )

    declare(
        "register", register, f"Record a new version of a {kind} from files already uploaded.",
        permission="assets.register", write=True, http=("POST", f"/envs/{{env}}/{plural}"),
    )

    # publish is a flow of two units: upload (the bytes move, no write lock held), then register (a short
    # write transaction). Like upload it reads a local path, so it has no HTTP route.
    def publish(
        unit: Unit,
        *,
        env: str,
        name: str,
        path: str,
        metrics: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
        tags: dict[str, Any] | None = None,
        run: str | None = None,
        git_commit: str | None = None,
        config_digest: str | None = None,
        progress: Progress | None = None,
    ) -> Published:
        raise RuntimeError(f"{kind}.publish runs as a flow of {kind}.upload and {kind}.register")

    def publish_flow(ctx: Context, arguments: dict[str, Any], _unit: Callable[[dict[str, Any]], Any]) -> Any:
        return assets.publish(ctx, kind, **arguments)

    declare(
        "publish", publish,
        f"Upload PATH (a file or a folder) into ENV's blob store, then record it as a new version of a {kind}.",
        permission="assets.register", flow=publish_flow,
    )

    def list_assets(unit: Unit, *, env: str | None = None) -> list[AssetSummary]:
        return assets.list_assets(unit, kind, env=env)

    declare(
        "list", list_assets, f"The {plural} in ENV, or in every environment the caller can read.",
        http=("GET", f"/{plural}"),
    )

    def show(
        unit: Unit, *, ref: str, env: str | None = None, lineage: bool = False, as_of: str | None = None
    ) -> VersionDetail:
        return assets.show(unit, kind, env=env, ref=ref, lineage_chain=lineage, as_of=as_of)

    declare(
        "show", show,
        "One version: NAME (latest), NAME:VERSION, NAME@ALIAS or ENV/NAME@ALIAS; with AS_OF, the version the "
        "alias held then.",
        http=("GET", f"/envs/{{env}}/{plural}/{{ref}}"),
    )

    def download(
        unit: Unit, *, ref: str, dest: str, env: str | None = None, progress: Progress | None = None
    ) -> Downloaded:
        return assets.download(unit, kind, env=env, ref=ref, dest=dest, progress=progress)

    declare("download", download, "Write a version's files into DEST (new or empty), each checked against its sha256.")

    def alias_set(unit: Unit, *, env: str, name: str, version: int, alias: str) -> AliasSet:
        return assets.alias_set(unit, kind, env=env, name=name, version=version, alias=alias)

    declare(
        "alias_set", alias_set, "Point ALIAS at VERSION; the move is kept in the alias history.",
        permission="assets.alias", write=True, http=("PUT", f"/envs/{{env}}/{plural}/{{name}}/aliases"),
    )

    def alias_history(unit: Unit, *, env: str, name: str, alias: str | None = None) -> list[AliasMove]:
        return assets.alias_history(unit, kind, env=env, name=name, alias=alias)

    declare(
        "alias_history", alias_history, f"Every move of the {kind}'s aliases, oldest first.",
        permission="env.read", http=("GET", f"/envs/{{env}}/{plural}/{{name}}/aliases"),
    )

    def rollback(unit: Unit, *, env: str, name: str, alias: str) -> AliasMoved:
        return assets.rollback(unit, kind, env=env, name=name, alias=alias)

    declare(
        "rollback", rollback, "Return ALIAS to the version it held before its current one.",
        permission="assets.alias", write=True, http=("POST", f"/envs/{{env}}/{plural}/{{name}}/rollback"),
    )
