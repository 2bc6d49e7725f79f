"""`stageward verify ENV/NAME@ALIAS`: rehash every blob, walk the lineage back to the first registration."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from stageward.errors import NotFound, PartlyFailed
from stageward.registry.files import manifest_digest
from stageward.registry.names import parse_reference
from stageward.service import assets
from stageward.service.catalogue import verb
from stageward.service.results.registry import Origin, Verified, VersionRead
from stageward.service.unit import Unit
from stageward.store.blobs.base import READ_CHUNK

if TYPE_CHECKING:
    from stageward.store.db.registry_repo import VersionRecord

# What a copy carries unchanged from its source: the same bytes, made by the same run from the same commit.
_CARRIED = ("manifest_digest", "run", "git_commit", "config_digest")


def _rehash(unit: Unit, record: VersionRecord, problems: list[str]) -> int:
    store = unit.ctx.blob_store(record.env)
    checked = 0
    for entry in record.files:
        digest = hashlib.sha256()
        size = 0
        try:
            with store.open_read(entry.sha256) as stream:
                while chunk := stream.read(READ_CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
        except NotFound:
            problems.append(
                f"{record.ref} {entry.path}: blob sha256:{entry.sha256[:12]} is missing from {store.url}"
            )
            continue
        if digest.hexdigest() != entry.sha256 or size != entry.size:
            problems.append(
                f"{record.ref} {entry.path}: stored bytes hash to sha256:{digest.hexdigest()[:12]} "
                f"({size} bytes), the manifest says sha256:{entry.sha256[:12]} ({entry.size} bytes)"
            )
        checked += size
    return checked


@verb("verify.asset", http=("GET", "/verify/{ref}"))
def asset(unit: Unit, *, ref: str, env: str | None = None) -> Verified:
    """Rehash a version's blobs and its lineage's; fail on any mismatch; say what was read, per version."""
    reference = parse_reference(ref)
    if reference.env is None and env is None:
        from stageward.errors import BadInput

        raise BadInput(f"verify {ref}: name the environment (ENV/NAME@ALIAS) or pass --env")
    record = assets.resolve(unit, reference, assets.env_of(ref, env), None).version
    chain = assets.lineage(unit, record)
    problems: list[str] = []
    versions: list[VersionRead] = []
    for index, step in enumerate(chain):
        if manifest_digest(step.files) != step.manifest_digest:
            problems.append(f"{step.ref}: its files do not match its recorded manifest digest")
        rehashed = _rehash(unit, step, problems)
        versions.append(VersionRead(ref=step.ref, files=len(step.files), bytes_rehashed=rehashed))
        if index + 1 < len(chain):
            source = chain[index + 1]
            for key in _CARRIED:
                if getattr(step, key) != getattr(source, key):
                    problems.append(
                        f"{step.ref} came from {source.ref} but its {key} differs "
                        f"({getattr(step, key)!r} vs {getattr(source, key)!r})"
                    )
    # The walk ends at the run that produced the first version: its commit and config digest must be the version's.
    from stageward.service.run_lineage import run_problems, run_summary

    problems += run_problems(unit, chain[-1])
    first = chain[-1]
    verified = Verified(
        ok=not problems,
        ref=record.ref,
        lineage=[step.ref for step in chain],
        # Each version of the lineage with what was read of its own blobs: a copy in the same store
        # shares its source's blobs, and they are read again for it.
        versions=versions,
        origin=Origin.from_record(first, run_record=run_summary(unit, first.run)),
        problems=problems,
    )
    if problems:
        # The whole report travels with the failure: `verify --json` prints it, then exits 1.
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise PartlyFailed(
            f"verify {ref}: {problems[0]}{more}", result=verified, hint="; ".join(problems[1:4]) or None
        )
    return verified
