"""Models and datasets: the shared body of the `model.*` and `dataset.*` verbs.

Bytes never move inside a write transaction: `upload` streams files into the blob
store first (content-addressed, published whole or not at all), then `register`
records the version in a short transaction that only checks the blobs are there.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stageward.access.decide import Target
from stageward.errors import BadInput, CheckFailed, Conflict, Denied, NotFound
from stageward.registry import aliases as alias_stack
from stageward.registry.files import (
    ManifestEntry,
    check_manifest,
    collect_files,
    manifest_digest,
)
from stageward.registry.gitinfo import head_commit
from stageward.registry.in_flight import move_each
from stageward.registry.names import (
    Reference,
    check_alias,
    check_asset_name,
    check_commit,
    check_kind,
    check_run_id,
    check_version,
    parse_reference,
)
from stageward.registry.progress import NoProgress, Progress
from stageward.registry.values import check_metrics, check_strings
from stageward.service.results.registry import (
    AliasMove,
    AliasMoved,
    AliasSet,
    AssetSummary,
    Downloaded,
    FileEntry,
    Published,
    Uploaded,
    Version,
    VersionDetail,
)
from stageward.service.unit import Unit
from stageward.store.blobs.base import READ_CHUNK, BlobStore, copy_blob
from stageward.store.db import blob_repo, registry_repo

if TYPE_CHECKING:
    from stageward.service.context import Context

_CONFIG_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")

AUDITED_METRICS = 20


# -- resolving references ---------------------------------------------------------------------------------


def find_asset(unit: Unit, env: str, name: str, kind: str | None) -> registry_repo.AssetRecord:
    """NAME in ENV of this project."""
    asset = registry_repo.get_asset(unit.conn, unit.ctx.project.spec.project, env, name)
    if asset is None:
        raise NotFound(f"no {kind or 'model or dataset'} named {name!r} in {env}")
    if kind is not None and asset.kind != kind:
        raise NotFound(f"{env}/{name} is a {asset.kind}, not a {kind}", hint=f"use: stageward {asset.kind} ...")
    return asset


def project_target(unit: Unit, project: str) -> Target | str:
    """What an act on PROJECT's resources is checked against: this project, or another registered one."""
    if project == unit.ctx.project.spec.project:
        return "project"
    from stageward.store.db import policy_repo

    registered = policy_repo.get_project(unit.conn, project)
    if registered is None:
        raise NotFound(f"no project {project!r} in this store")
    return Target(project, registered.team)


def env_of(ref: str, env: str | None) -> str:
    """The environment a reference is read in: its own ENV/ prefix, else ENV (--env)."""
    named = parse_reference(ref).env  # a malformed reference is bad input before any lookup
    if named is not None and env is not None and env != named:
        # Which one did the caller mean? Reading production when staging was written (or the reverse) is the
        # mistake the walls exist for: refuse rather than pick one.
        raise BadInput(f"{ref} names environment {named}, but --env says {env}: give one of them")
    if named is not None:
        return named
    if env is None:
        raise BadInput(f"{ref}: name the environment with --env or write ENV/{ref}")
    return env


def resolve(unit: Unit, ref: Reference, env: str, kind: str | None) -> registry_repo.Found:
    """The version (with its files) named by REF, read in ENV unless REF names its own (and its project)."""
    where = ref.env or env
    project = ref.project or unit.ctx.project.spec.project
    target = project_target(unit, project)
    if target == "project":
        unit.ctx.environment(where)
    unit.require("env.read", where, target)
    found = registry_repo.lookup(unit.conn, project, where, ref.name, version=ref.version, alias=ref.alias)
    if found is not None and (kind is None or found.asset.kind == kind):
        if project != unit.ctx.project.spec.project:
            return dataclasses.replace(
                found, version=dataclasses.replace(found.version, ref=f"{project}:{found.version.ref}")
            )
        return found
    # Something is missing: find out what, to say so.
    if project != unit.ctx.project.spec.project:
        raise NotFound(f"no {kind or 'model or dataset'} {ref} in project {project}")
    asset = find_asset(unit, where, ref.name, kind)
    if ref.alias is not None:
        held = ", ".join(registry_repo.aliases_of(unit.conn, asset.id)) or "none"
        raise NotFound(f"{where}/{ref.name} has no alias {ref.alias!r} (aliases: {held})")
    newest = registry_repo.latest_version(unit.conn, asset.id)
    if newest is None:
        raise NotFound(f"{where}/{ref.name} has no versions")
    raise NotFound(f"{where}/{ref.name} has no version {ref.version} (latest is {newest})")


def held_at(unit: Unit, ref: Reference, env: str, kind: str | None, as_of: str) -> Reference:
    """REF (NAME@ALIAS) as the version that held its alias at AS_OF, answered from the alias history (MLflow
    has no such question). A move made exactly at AS_OF counts; the caller needs env.read as for any read."""
    from stageward.registry.alias_as_of import holders_at
    from stageward.service.clock import parse_instant

    if ref.alias is None:
        raise BadInput(f"--as-of {as_of[:40]!r}: name an alias (NAME@ALIAS); a version number never moves")
    instant = parse_instant(as_of, option="--as-of")
    where = ref.env or env
    project = ref.project or unit.ctx.project.spec.project
    target = project_target(unit, project)
    if target == "project":
        unit.ctx.environment(where)
    unit.require("env.read", where, target)
    asset = registry_repo.get_asset(unit.conn, project, where, ref.name)
    if asset is None or (kind is not None and asset.kind != kind):
        raise NotFound(f"no {kind or 'model or dataset'} {ref.name!r} in {where}")
    held = holders_at(registry_repo.history(unit.conn, asset.id, alias=ref.alias), instant).get(ref.alias)
    if held is None:
        raise NotFound(f"{where}/{ref.name}@{ref.alias} held no version at {instant}")
    return dataclasses.replace(ref, version=held, alias=None)


# -- upload and register ----------------------------------------------------------------------------------


def _hash_file(path: Path, progress: Progress) -> ManifestEntry:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(READ_CHUNK):
            digest.update(chunk)
            size += len(chunk)
            progress.advance(len(chunk))
    return ManifestEntry("", size, digest.hexdigest())


def _put_file(store: BlobStore, path: Path, expected: str, progress: Progress) -> None:
    """Publish PATH as blob EXPECTED; a file that changed since it was hashed publishes nothing."""
    try:
        copy_blob(store, expected, progress.advance, path=path)
    except CheckFailed:
        raise CheckFailed(f"{path} changed while it was being registered; nothing was published") from None


def _put_files(store: BlobStore, files: list[tuple[ManifestEntry, Path]], progress: Progress) -> None:
    move_each(
        files,
        size=lambda item: item[0].size,
        move=lambda item: _put_file(store, item[1], item[0].sha256, progress),
        at_once=store.files_in_flight,
        small_bytes=store.small_file_bytes,
    )


def upload(unit: Unit, *, env: str, path: str, progress: Progress | None = None) -> Uploaded:
    """Stream PATH (a file or a folder) into ENV's blob store; returns the manifest to register."""
    reporter = progress or NoProgress()
    files = collect_files(Path(path).expanduser())
    store = unit.ctx.blob_store(env)
    total = sum(real.stat().st_size for _, real in files)
    reporter.start(f"hashing {len(files)} file(s)", total)
    entries: list[tuple[ManifestEntry, Path]] = []
    for name, real in files:
        found = _hash_file(real, reporter)
        entries.append((ManifestEntry(name, found.size, found.sha256), real))
    reporter.finish()
    # The same content twice in one folder is stored, and counted, once.
    unique = {entry.sha256: (entry, real) for entry, real in reversed(entries)}
    # A blob already there is kept (its grace period against `gc --blobs` restarts) until register records it.
    here = store.kept(unique)
    missing = [(entry, real) for sha256, (entry, real) in unique.items() if sha256 not in here]
    sent = sum(entry.size for entry, _ in missing)
    reporter.start(f"uploading to {store.url}", sent)
    _put_files(store, missing, reporter)
    reporter.finish()
    return Uploaded(
        env=env,
        store=store.url,
        files=[FileEntry(path=entry.path, size=entry.size, sha256=entry.sha256) for entry, _ in entries],
        size=total,
        uploaded_bytes=sent,
    )


def publish(
    ctx: Context, kind: str, *, env: str, path: str, progress: Progress | None = None, **fields: Any
) -> Published:
    """The publish flow: upload, then register, each its own unit; the bytes move before the short write
    transaction that records the version."""
    from stageward.service.catalogue import run_verb

    uploaded: Uploaded = run_verb(ctx, f"{kind}.upload", {"env": env, "path": path, "progress": progress})
    files = [file.model_dump() for file in uploaded.files]
    registered: Version = run_verb(ctx, f"{kind}.register", {"env": env, "files": files, **fields})
    return Published(**dict(registered), uploaded_bytes=uploaded.uploaded_bytes)


def register(
    unit: Unit,
    kind: str,
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
    check_kind(kind)
    check_asset_name(name)
    entries = check_manifest(files)
    checked_metrics = check_metrics(metrics)
    checked_params = check_strings("param", params)
    checked_tags = check_strings("tag", tags)
    if run is not None:
        check_run_id(run)
    # Lineage is real: --run (or STAGEWARD_RUN_ID inside `stageward run`) must name a run of this environment,
    # and the version takes that run's commit and config digest unless told otherwise.
    from stageward.service.run_lineage import registering_run

    ran = registering_run(unit, env, run)
    if ran is not None:
        run = ran["id"]
    if git_commit is None:
        git_commit = ran["commit"] if ran is not None else head_commit(unit.ctx.project.root)
    else:
        check_commit(git_commit)
    if config_digest is None and ran is not None:
        config_digest = ran["config_digest"]
    if config_digest is None:
        # The environment's config as it stands now (SPEC §4); a run registering its output passes its own.
        from stageward.service.config import digest_for

        config_digest = digest_for(unit, env)
    elif not _CONFIG_DIGEST.fullmatch(config_digest):
        raise BadInput(f"config digest {config_digest!r}: expected sha256:<64 hex digits>")
    store = unit.ctx.blob_store(env)
    project = unit.ctx.project.spec.project
    # On a server, a blob of a store projects share counts only once this project holds it or sent its bytes
    # (service/blob.py): a digest is no capability. Local mode trusts the machine, which reaches the store anyway.
    # The wall is asked once for the whole manifest (a few statements per blob_repo.CHUNK digests): a register
    # holds the store's write lock while it asks, and a dataset of shards lists tens of thousands of files.
    out_of_reach = (
        blob_repo.out_of_reach(unit.conn, project, env, (entry.sha256 for entry in entries))
        if not unit.ctx.process_environment
        else set()
    )
    here = store.existing({entry.sha256 for entry in entries} - out_of_reach)
    for entry in entries:
        if entry.sha256 not in here:
            raise NotFound(
                f"{entry.path}: blob sha256:{entry.sha256[:12]} is not in {store.url}",
                hint=f"upload the files first: stageward {kind} register NAME PATH does both",
            )
    asset = registry_repo.get_asset(unit.conn, project, env, name)
    if asset is None:
        asset_id = registry_repo.create_asset(unit.conn, project, env, name, kind, at=unit.now(), by=unit.principal)
        asset = registry_repo.AssetRecord(asset_id, project, env, name, kind)
    elif asset.kind != kind:
        raise Conflict(f"{env}/{name} is already a {asset.kind}; a {kind} needs another name")
    version = registry_repo.next_version(unit.conn, asset.id)
    digest = manifest_digest(entries)
    registry_repo.insert_version(
        unit.conn,
        asset_id=asset.id,
        version=version,
        files=entries,
        manifest_digest=digest,
        metrics=checked_metrics,
        params=checked_params,
        tags=checked_tags,
        run_id=run,
        git_commit=git_commit,
        config_digest=config_digest,
        blob_store=store.url,
        at=unit.now(),
        by=unit.principal,
    )
    unit.audit(
        environment=env,
        target=f"{name}:{version}",
        details={
            "kind": kind,
            "version": version,
            "files": len(entries),
            "size": sum(e.size for e in entries),
            "manifest_digest": digest,
            # The first metrics, not all of them: an audit entry records the act, the version keeps the data.
            "metrics": dict(list(checked_metrics.items())[:AUDITED_METRICS]),
            "metric_count": len(checked_metrics),
            "run": run,
        },
    )
    record = registry_repo.get_version(unit.conn, asset, version, with_files=False)
    assert record is not None
    return Version.from_record(record)


# -- reading ----------------------------------------------------------------------------------------------


def readable(unit: Unit, env: str | None) -> list[str]:
    if env is not None:
        unit.require("env.read", env)
        return [env]
    return [e for e in unit.ctx.environments if unit.can("env.read", e)]


def list_assets(unit: Unit, kind: str, *, env: str | None) -> list[AssetSummary]:
    rows = registry_repo.list_assets(unit.conn, unit.ctx.project.spec.project, readable(unit, env), kind)
    return [AssetSummary.from_record(row) for row in rows]


def lineage(unit: Unit, record: registry_repo.VersionRecord) -> list[registry_repo.VersionRecord]:
    from stageward.registry.lineage import VersionKey, walk

    def fetch(key: VersionKey) -> registry_repo.VersionRecord | None:
        if key.env not in unit.ctx.environments:
            return None
        unit.require("env.read", key.env)
        asset = registry_repo.get_asset(unit.conn, unit.ctx.project.spec.project, key.env, key.name)
        return registry_repo.get_version(unit.conn, asset, key.version) if asset else None

    return walk(VersionKey(record.env, record.name, record.version), fetch)


def show(
    unit: Unit, kind: str, *, env: str | None, ref: str, lineage_chain: bool, as_of: str | None = None
) -> VersionDetail:
    env = env_of(ref, env)
    reference = parse_reference(ref)
    if as_of is not None:
        reference = held_at(unit, reference, env, kind, as_of)
    found = resolve(unit, reference, env, kind)
    return VersionDetail.from_found(
        found.version,
        aliases=found.aliases,
        latest=found.latest,
        lineage=lineage(unit, found.version) if lineage_chain else None,
    )


def download(
    unit: Unit, kind: str, *, env: str | None, ref: str, dest: str, progress: Progress | None = None
) -> Downloaded:
    """Write the version's files under DEST (absent or empty), each checked against its sha256."""
    from stageward.registry.download import staging_folder, write_version

    env = env_of(ref, env)
    record = resolve(unit, parse_reference(ref), env, kind).version
    target, staging = staging_folder(dest)
    store = unit.ctx.blob_store(record.env)

    def chunks(sha256: str) -> Iterator[bytes]:
        with store.open_read(sha256) as source:
            while chunk := source.read(READ_CHUNK):
                yield chunk

    write_version(
        dest, target, staging, ref=record.ref, size=record.size,
        files=[(entry.path, entry.sha256, entry.size) for entry in record.files], chunks=chunks,
        reporter=progress or NoProgress(), source="the stored blob has",
        at_once=store.files_in_flight, small_bytes=store.small_file_bytes,
    )  # fmt: skip
    return Downloaded(ref=record.ref, dest=str(target), files=len(record.files), size=record.size)


# -- aliases ----------------------------------------------------------------------------------------------


def alias_set(unit: Unit, kind: str, *, env: str, name: str, version: int, alias: str) -> AliasSet:
    check_alias(alias)
    version = check_version(version)
    if unit.ctx.environment(env).alias_protected(alias):
        raise Denied(
            f"denied: alias {alias} is protected in {env}: "
            "it moves only by an executed promotion or an admin's rollback",
            permission="assets.alias",
            environment=env,
            hint=f"promote into it: stageward promote NAME VERSION --from SOURCE --to {env} --alias {alias}",
        )
    asset = find_asset(unit, env, check_asset_name(name), kind)
    if registry_repo.get_version(unit.conn, asset, version, with_files=False) is None:
        latest = registry_repo.latest_version(unit.conn, asset.id)
        raise NotFound(f"{env}/{name} has no version {version} (latest is {latest})")
    current = registry_repo.get_alias(unit.conn, asset.id, alias)
    changed = current != version
    if changed:
        registry_repo.move_alias(
            unit.conn, asset.id, alias, version, action="set", at=unit.now(), by=unit.principal
        )
    unit.audit(
        environment=env,
        target=f"{name}@{alias}",
        details={"version": version, "previous": current, "changed": changed},
    )
    return AliasSet(env=env, name=name, alias=alias, version=version, previous=current, changed=changed)


def rollback(unit: Unit, kind: str, *, env: str, name: str, alias: str) -> AliasMoved:
    check_alias(alias)
    if unit.ctx.environment(env).alias_protected(alias):
        # A protected alias returns to its previous holder only by an admin's hand (SPEC §12).
        unit.require("access.manage", env)
    asset = find_asset(unit, env, check_asset_name(name), kind)
    current = registry_repo.get_alias(unit.conn, asset.id, alias)
    if current is None:
        raise NotFound(f"{env}/{name} has no alias {alias!r}")
    moves = [
        alias_stack.AliasMove(h.action, h.version) for h in registry_repo.history(unit.conn, asset.id, alias)
    ]
    target = alias_stack.rollback_target(moves)
    if target is None:
        raise Conflict(f"{env}/{name}@{alias} has no earlier version to return to (it holds {current})")
    registry_repo.move_alias(
        unit.conn, asset.id, alias, target, action="rollback", at=unit.now(), by=unit.principal
    )
    unit.audit(environment=env, target=f"{name}@{alias}", details={"version": target, "previous": current})
    return AliasMoved(env=env, name=name, alias=alias, version=target, previous=current)


def alias_history(unit: Unit, kind: str, *, env: str, name: str, alias: str | None) -> list[AliasMove]:
    if alias is not None:
        check_alias(alias)
    asset = find_asset(unit, env, check_asset_name(name), kind)
    return [AliasMove.from_record(row) for row in registry_repo.history(unit.conn, asset.id, alias)]
