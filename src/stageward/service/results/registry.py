"""Results of the registry verbs (`model.*`, `dataset.*`, `registry.rollback`, `verify.asset`, `gc.run`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Self

from pydantic import Field

from stageward.service.results.base import Result

if TYPE_CHECKING:
    from stageward.registry.files import ManifestEntry
    from stageward.store.db.registry_repo import AliasMoveRecord, AssetListing, VersionRecord, VersionSource


class FileEntry(Result):
    """One file of a version: its path inside the version, its size and content digest."""

    path: str
    size: int
    sha256: str = Field(description="hex sha256 of the file's bytes, the name of its blob")

    @classmethod
    def from_record(cls, entry: ManifestEntry) -> Self:
        return cls(path=entry.path, size=entry.size, sha256=entry.sha256)


class Uploaded(Result):
    """Files streamed into a blob store, ready to register."""

    env: str
    store: str = Field(description="URL of the blob store the files went to")
    files: list[FileEntry]
    size: int = Field(description="bytes of every file")
    uploaded_bytes: int = Field(description="bytes sent (a blob already in the store is not sent again)")


class VersionOrigin(Result):
    """The version a promoted one was copied from."""

    env: str
    name: str
    version: int

    @classmethod
    def from_record(cls, source: VersionSource | None) -> Self | None:
        return None if source is None else cls(env=source.env, name=source.name, version=source.version)


def _version_fields(record: VersionRecord) -> dict[str, Any]:
    """The fields of a Version, from the store's record (the one place a record's fields are mapped)."""
    return {
        "ref": record.ref,
        "env": record.env,
        "name": record.name,
        "kind": record.kind,
        "version": record.version,
        "size": record.size,
        "file_count": record.file_count,
        "manifest_digest": record.manifest_digest,
        "metrics": record.metrics,
        "params": record.params,
        "tags": record.tags,
        "run": record.run,
        "git_commit": record.git_commit,
        "config_digest": record.config_digest,
        "blob_store": record.blob_store,
        "created_by": record.created_by,
        "created_at": record.created_at,
        "promoted_from": VersionOrigin.from_record(record.promoted_from),
        "promotion_id": record.promotion_id,
    }


class Version(Result):
    """One version of a model or dataset, as recorded."""

    ref: str = Field(description="ENV/NAME:VERSION (PROJECT:ENV/NAME:VERSION for another project's)")
    env: str
    name: str
    kind: str = Field(description="model or dataset")
    version: int
    size: int = Field(description="bytes of every file")
    file_count: int
    manifest_digest: str = Field(description="sha256 over the sorted manifest of paths, sizes and digests")
    metrics: dict[str, float]
    params: dict[str, str]
    tags: dict[str, str]
    run: str | None = Field(description="the run that produced the version")
    git_commit: str | None
    config_digest: str | None = Field(description="digest of the environment's config the version was made with")
    blob_store: str = Field(description="URL of the blob store holding the files")
    created_by: str
    created_at: str
    promoted_from: VersionOrigin | None = Field(description="the source of a promoted version")
    promotion_id: int | None = Field(description="the promotion that made this version")

    @classmethod
    def from_record(cls, record: VersionRecord) -> Self:
        # model_validate of one dict, not keyword arguments: the faster door on register's hot path.
        return cls.model_validate(_version_fields(record))


class Published(Version):
    """A version recorded by `publish` (upload, then register)."""

    uploaded_bytes: int = Field(description="bytes sent to the blob store")


class LineageStep(Result):
    """One version of a lineage, newest first."""

    columns: ClassVar[tuple[str, ...]] = (
        "ref", "promoted_from", "promotion_id", "created_by", "created_at", "git_commit",
    )

    ref: str
    created_by: str
    created_at: str
    promoted_from: VersionOrigin | None
    promotion_id: int | None
    run: str | None
    git_commit: str | None
    config_digest: str | None
    manifest_digest: str

    @classmethod
    def from_record(cls, record: VersionRecord) -> Self:
        return cls(
            ref=record.ref,
            created_by=record.created_by,
            created_at=record.created_at,
            promoted_from=VersionOrigin.from_record(record.promoted_from),
            promotion_id=record.promotion_id,
            run=record.run,
            git_commit=record.git_commit,
            config_digest=record.config_digest,
            manifest_digest=record.manifest_digest,
        )


class VersionDetail(Version):
    """One version as `show` reads it: its files, the aliases holding it, the asset's latest version."""

    # The summary `show` prints above the files (promoted_from is added as a ref).
    columns: ClassVar[tuple[str, ...]] = (
        "ref", "kind", "size", "file_count", "manifest_digest", "metrics", "params", "tags", "run", "git_commit",
        "config_digest", "aliases", "latest", "created_by", "created_at",
    )

    files: list[FileEntry]
    aliases: list[str] = Field(description="the asset's aliases that point at this version")
    latest: int = Field(description="the asset's newest version number")
    # Absent, not null, without --lineage: the JSON users already script against.
    lineage: list[LineageStep] | None = Field(
        default=None, exclude_if=lambda steps: steps is None, description="with --lineage: the chain of copies"
    )

    @classmethod
    def from_found(
        cls,
        record: VersionRecord,
        *,
        aliases: list[str],
        latest: int,
        lineage: list[VersionRecord] | None = None,
    ) -> Self:
        fields = _version_fields(record)
        # The files as plain dicts, validated with the rest in one pass: resolve is a hot path.
        fields["files"] = [entry.to_dict() for entry in record.files]
        fields["aliases"] = aliases
        fields["latest"] = latest
        if lineage is not None:
            fields["lineage"] = [LineageStep.from_record(step) for step in lineage]
        return cls.model_validate(fields)


class AssetSummary(Result):
    """One model or dataset of a listing."""

    columns: ClassVar[tuple[str, ...]] = ("env", "name", "latest", "aliases", "created_by", "created_at")

    env: str
    name: str
    kind: str
    latest: int | None = Field(description="the newest version number (none before the first register)")
    aliases: dict[str, int] = Field(description="alias -> version")
    created_at: str
    created_by: str

    @classmethod
    def from_record(cls, listing: AssetListing) -> Self:
        return cls(
            env=listing.env,
            name=listing.name,
            kind=listing.kind,
            latest=listing.latest,
            aliases=listing.aliases,
            created_at=listing.created_at,
            created_by=listing.created_by,
        )


class Downloaded(Result):
    ref: str
    dest: str = Field(description="absolute path of the folder the files were written into")
    files: int
    size: int


class AliasMoved(Result):
    """An alias set or rolled back."""

    env: str
    name: str
    alias: str
    version: int = Field(description="the version the alias points at now")
    previous: int | None = Field(description="the version it pointed at before")


class AliasSet(AliasMoved):
    changed: bool = Field(description="false when the alias already pointed at the version")


class AliasMove(Result):
    """One move of an alias, from the alias history."""

    columns: ClassVar[tuple[str, ...]] = (
        "id",
        "alias",
        "action",
        "version",
        "previous_version",
        "by",
        "at",
        "promotion_id",
    )

    id: int
    alias: str
    action: str = Field(description="set, promote or rollback")
    version: int
    previous_version: int | None
    at: str
    by: str
    promotion_id: int | None

    @classmethod
    def from_record(cls, move: AliasMoveRecord) -> Self:
        return cls(
            id=move.id,
            alias=move.alias,
            action=move.action,
            version=move.version,
            previous_version=move.previous_version,
            at=move.at,
            by=move.by,
            promotion_id=move.promotion_id,
        )


class VersionRead(Result):
    """What verify read of one version's own blobs."""

    ref: str
    files: int
    bytes_rehashed: int


class Origin(Result):
    """Where the first version of a lineage came from."""

    ref: str
    run: str | None
    git_commit: str | None
    config_digest: str | None
    created_by: str
    run_record: dict[str, Any] | None = Field(
        default=None, description="the run that produced it: commit, ref, dirty flag, image, config digest, executor"
    )

    @classmethod
    def from_record(cls, record: VersionRecord, *, run_record: dict[str, Any] | None = None) -> Self:
        return cls(
            ref=record.ref,
            run=record.run,
            git_commit=record.git_commit,
            config_digest=record.config_digest,
            created_by=record.created_by,
            run_record=run_record,
        )


class Verified(Result):
    ok: bool
    ref: str
    lineage: list[str] = Field(description="refs from the version to its origin")
    versions: list[VersionRead]
    origin: Origin
    problems: list[str] = Field(default_factory=list, description="every mismatch found; empty when ok")


class RemovedBlob(Result):
    sha256: str
    size: int
    modified: str


class StoreCollected(Result):
    store: str = Field(description="URL of the blob store")
    temporaries: int = Field(description="temporary objects of failed uploads removed")
    blobs: list[RemovedBlob] = Field(description="unreferenced published blobs removed (with --blobs)")


class Collected(Result):
    """What `gc` removed (or, with dry_run, would remove)."""

    dry_run: bool
    removed: int = Field(description="temporary objects removed")
    blobs_removed: int
    blob_bytes: int
    stores: list[StoreCollected]
