"""The verbs of `stageward.Client`, one method each: generated from the verb catalogue, do not edit.

Regenerate with `python -m stageward.service.catalogue --write-client` after adding or changing a verb
(tests/service/test_client_verbs.py fails while this file is stale).
"""
# mypy: disable-error-code="empty-body"
# ruff: noqa: E501 (the docstrings are the verbs')

from __future__ import annotations

import abc
import builtins
import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

if TYPE_CHECKING:
    from pathlib import Path
    from stageward.registry.progress import Progress
    from stageward.service.results.access import (
        Binding,
        EnvironmentDetail,
        EnvironmentSummary,
        Granted,
        KeyInfo,
        KeyIssued,
        KeyRevoked,
        KeyRotated,
        MemberAdded,
        MemberRemoved,
        Revoked,
        RolePermissions,
        Team,
        TeamCreated,
    )
    from stageward.service.results.audit import AuditEntry, ChainAnchor, ChainVerified
    from stageward.service.results.config import ConfigChecked, ConfigDiff, ConfigExported, ConfigShown
    from stageward.service.results.events import (
        BlobLocation,
        BlobStatus,
        BlobStatuses,
        Delivery,
        Event,
        Webhook,
        WebhookAdded,
        WebhookRemoved,
    )
    from stageward.service.results.overview import (
        AssetOverview,
        ChangeFeed,
        EnvironmentOverview,
        Standing,
        VersionSummary,
    )
    from stageward.service.results.policy import PolicyApplied, PolicyPlan, PolicyRequest, PolicyShown, PolicyVersion
    from stageward.service.results.promotion import Promotion, PromotionPreview, Transferred
    from stageward.service.results.registry import (
        AliasMove,
        AliasMoved,
        AliasSet,
        AssetSummary,
        Collected,
        Downloaded,
        Published,
        Uploaded,
        Verified,
        Version,
        VersionDetail,
    )
    from stageward.service.results.runs import (
        CostReport,
        LogPage,
        OutputEcho,
        RunBeat,
        RunBegun,
        RunDetail,
        RunMetric,
        RunRecord,
        ScanReport,
        ScheduleRecord,
        TickResult,
    )
    from stageward.service.results.secrets import (
        RotationOutcome,
        SecretDeleted,
        SecretInfo,
        SecretSet,
        SecretValue,
        SecretVersion,
    )

_Method = TypeVar("_Method", bound=Callable[..., Any])


def _verb(name: str) -> Callable[[_Method], _Method]:
    """The method runs verb NAME with the keyword arguments given.

    Its signature is for type checkers, editors and help(); the catalogue checks the arguments, so a
    missing or mistyped one is the same bad input (exit 2) from the SDK, the CLI and REST. It returns the
    verb's result model, also when the transport brought JSON.
    """

    def declare(method: _Method) -> _Method:
        @functools.wraps(method)
        def run(self: _Group, **arguments: Any) -> Any:
            return self._client.result(name, **arguments)

        return cast(_Method, run)

    return declare


class _Group:
    def __init__(self, client: Verbs) -> None:
        self._client = client


class AccessVerbs(_Group):
    """The `access.*` verbs."""

    @_verb("access.grant")
    def grant(
        self,
        *,
        principal: str,
        role: str,
        env: str | None = None,
        all_environments: bool | None = None,
        team: str | None = None,
        project: str | None = None,
    ) -> Granted:
        """Bind PRINCIPAL to ROLE in ENV, or in every environment ('*'), optionally narrowed to one team's or one
        project's resources.
        """

    @_verb("access.list")
    def list(self, *, env: str | None = None) -> builtins.list[Binding]:
        """Role bindings in ENV, or in every environment the caller can read."""

    @_verb("access.revoke")
    def revoke(
        self,
        *,
        principal: str,
        role: str,
        env: str | None = None,
        all_environments: bool | None = None,
        team: str | None = None,
        project: str | None = None,
    ) -> Revoked:
        """Remove PRINCIPAL's ROLE in ENV, or its binding on every environment ('*'), narrowed to TEAM or PROJECT
        when given. The last unnarrowed admin of an environment is never revoked (docs/access.md).
        """

    @_verb("access.roles")
    def roles(self) -> builtins.list[RolePermissions]:
        """The role -> permission table."""


class AuditVerbs(_Group):
    """The `audit.*` verbs."""

    @_verb("audit.anchor")
    def anchor(self) -> ChainAnchor:
        """The chain's head (sequence, hash, time, store) to keep outside the store and check with verify --anchor."""

    @_verb("audit.export")
    def export(self, *, env: str | None = None) -> builtins.list[AuditEntry]:
        """Every entry the caller may read, in order, with hashes, for an outside copy."""

    @_verb("audit.list")
    def list(
        self,
        *,
        env: str | None = None,
        principal: str | None = None,
        action: str | None = None,
        since: str | None = None,
        limit: int = 200,
    ) -> builtins.list[AuditEntry]:
        """The latest audit entries, oldest first, filtered."""

    @_verb("audit.verify")
    def verify(self, *, anchor: str | None = None) -> ChainVerified:
        """Recompute the whole chain with the chain key; fail naming the first entry that does not hold.

        ANCHOR (SEQUENCE:HASH, from `audit anchor`) must also still be in the chain at its sequence.
        """


class BlobVerbs(_Group):
    """The `blob.*` verbs."""

    @_verb("blob.claim")
    def claim(self, *, env: str, sha256: str) -> BlobStatus:
        """Record that this project's caller sent the bytes of blob SHA256 (the upload route calls this after the
        bytes hashed to it), so a version of this project may name it though another project holds it too.
        """

    @_verb("blob.locate")
    def locate(self, *, env: str, sha256: str) -> BlobLocation:
        """The size of blob SHA256 when a version in ENV holds it; not found otherwise, whatever the store keeps."""

    @_verb("blob.status")
    def status(self, *, env: str, sha256: str) -> BlobStatus:
        """Whether blob SHA256 is already in ENV's blob store (then an upload skips it and it is kept for register)."""

    @_verb("blob.statuses")
    def statuses(self, *, env: str, sha256s: builtins.list[str]) -> BlobStatuses:
        """Which of SHA256S (at most 1,000) are already in ENV's blob store for this project: blob.status of a whole
        manifest, the blobs found kept for register, the wall asked once.
        """


class ConfigVerbs(_Group):
    """The `config.*` verbs."""

    @_verb("config.check")
    def check(self, *, env: str | None = None) -> ConfigChecked:
        """Every finding of SPEC §4 in the committed configs, one a line; ok is false when there is any."""

    @_verb("config.diff")
    def diff(self, *, env_a: str, env_b: str) -> ConfigDiff:
        """The difference between two environments' committed configs, intentional differences marked."""

    @_verb("config.export")
    def export(self, *, env: str, format: str = "json", overrides: builtins.list[str] | None = None) -> ConfigExported:
        """ENV's resolved config as dotenv, JSON or a Kubernetes ConfigMap and Secret; no secret value leaves."""

    @_verb("config.reveal")
    def reveal(self, *, env: str, explain: bool = False, overrides: builtins.list[str] | None = None) -> ConfigShown:
        """ENV's resolved config with secret values; needs secrets.read_value there, and is audited."""

    @_verb("config.show")
    def show(self, *, env: str, explain: bool = False, overrides: builtins.list[str] | None = None) -> ConfigShown:
        """ENV's resolved config, every secret reference masked as ***; with explain, each key's origin."""


class CostVerbs(_Group):
    """The `cost.*` verbs."""

    @_verb("cost.report")
    def report(
        self,
        *,
        by: str = "env",
        tag: str | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> CostReport:
        """Cost of this project's runs in the environments you can read, grouped BY env, team, project or TAG."""


class DatasetVerbs(_Group):
    """The `dataset.*` verbs."""

    @_verb("dataset.alias_history")
    def alias_history(self, *, env: str, name: str, alias: str | None = None) -> builtins.list[AliasMove]:
        """Every move of the dataset's aliases, oldest first."""

    @_verb("dataset.alias_set")
    def alias_set(self, *, env: str, name: str, version: int, alias: str) -> AliasSet:
        """Point ALIAS at VERSION; the move is kept in the alias history."""

    @_verb("dataset.download")
    def download(self, *, ref: str, dest: str, env: str | None = None, progress: Progress | None = None) -> Downloaded:
        """Write a version's files into DEST (new or empty), each checked against its sha256."""

    @_verb("dataset.list")
    def list(self, *, env: str | None = None) -> builtins.list[AssetSummary]:
        """The datasets in ENV, or in every environment the caller can read."""

    @_verb("dataset.publish")
    def publish(
        self,
        *,
        env: str,
        name: str,
        path: str,
        metrics: builtins.dict[str, Any] | None = None,
        params: builtins.dict[str, Any] | None = None,
        tags: builtins.dict[str, Any] | None = None,
        run: str | None = None,
        git_commit: str | None = None,
        config_digest: str | None = None,
        progress: Progress | None = None,
    ) -> Published:
        """Upload PATH (a file or a folder) into ENV's blob store, then record it as a new version of a dataset."""

    @_verb("dataset.register")
    def register(
        self,
        *,
        env: str,
        name: str,
        files: builtins.list[builtins.dict[str, Any]],
        metrics: builtins.dict[str, Any] | None = None,
        params: builtins.dict[str, Any] | None = None,
        tags: builtins.dict[str, Any] | None = None,
        run: str | None = None,
        git_commit: str | None = None,
        config_digest: str | None = None,
    ) -> Version:
        """Record a new version of a dataset from files already uploaded."""

    @_verb("dataset.rollback")
    def rollback(self, *, env: str, name: str, alias: str) -> AliasMoved:
        """Return ALIAS to the version it held before its current one."""

    @_verb("dataset.show")
    def show(
        self,
        *,
        ref: str,
        env: str | None = None,
        lineage: bool = False,
        as_of: str | None = None,
    ) -> VersionDetail:
        """One version: NAME (latest), NAME:VERSION, NAME@ALIAS or ENV/NAME@ALIAS; with AS_OF, the version the alias held then."""

    @_verb("dataset.upload")
    def upload(self, *, env: str, path: str, progress: Progress | None = None) -> Uploaded:
        """Stream the files of a dataset into ENV's blob store; nothing is recorded yet."""


class EnvVerbs(_Group):
    """The `env.*` verbs."""

    @_verb("env.list")
    def list(self) -> builtins.list[EnvironmentSummary]:
        """The environments the caller can see, in tier order."""

    @_verb("env.show")
    def show(self, *, env: str) -> EnvironmentDetail:
        """One environment with the controls the store enforces there (the applied policy, tier defaults applied)."""


class EventsVerbs(_Group):
    """The `events.*` verbs."""

    @_verb("events.list")
    def list(self, *, after: int = 0, env: str | None = None, limit: int = 100) -> builtins.list[Event]:
        """Events after id AFTER (oldest first) in ENV, or in every environment the caller can read."""


class GcVerbs(_Group):
    """The `gc.*` verbs."""

    @_verb("gc.run")
    def run(self, *, older_than: float | None = None, blobs: bool = False, dry_run: bool = False) -> Collected:
        """Remove temporary blobs older than OLDER_THAN seconds from your stores; never what a live upload holds.

        With BLOBS, also remove published blobs that no version or run log of the store references and that were last
        published or kept (by an upload that found them) more than OLDER_THAN seconds ago (default 24 h).
        """


class KeysVerbs(_Group):
    """The `keys.*` verbs."""

    @_verb("keys.create")
    def create(self, *, env: str, principal: str, ttl: str = "30d") -> KeyIssued:
        """A new API key for PRINCIPAL in ENV, shown once."""

    @_verb("keys.list")
    def list(self, *, env: str | None = None, principal: str | None = None) -> builtins.list[KeyInfo]:
        """Keys by prefix, principal, expiry and last use: all keys where you manage access, your own anywhere."""

    @_verb("keys.revoke")
    def revoke(self, *, prefix: str) -> KeyRevoked:
        """Revoke the key PREFIX at once."""

    @_verb("keys.rotate")
    def rotate(self, *, prefix: str, overlap: str = "7d") -> KeyRotated:
        """A successor of key PREFIX, shown once; the old key stays valid for the overlap, then expires."""


class ModelVerbs(_Group):
    """The `model.*` verbs."""

    @_verb("model.alias_history")
    def alias_history(self, *, env: str, name: str, alias: str | None = None) -> builtins.list[AliasMove]:
        """Every move of the model's aliases, oldest first."""

    @_verb("model.alias_set")
    def alias_set(self, *, env: str, name: str, version: int, alias: str) -> AliasSet:
        """Point ALIAS at VERSION; the move is kept in the alias history."""

    @_verb("model.download")
    def download(self, *, ref: str, dest: str, env: str | None = None, progress: Progress | None = None) -> Downloaded:
        """Write a version's files into DEST (new or empty), each checked against its sha256."""

    @_verb("model.list")
    def list(self, *, env: str | None = None) -> builtins.list[AssetSummary]:
        """The models in ENV, or in every environment the caller can read."""

    @_verb("model.publish")
    def publish(
        self,
        *,
        env: str,
        name: str,
        path: str,
        metrics: builtins.dict[str, Any] | None = None,
        params: builtins.dict[str, Any] | None = None,
        tags: builtins.dict[str, Any] | None = None,
        run: str | None = None,
        git_commit: str | None = None,
        config_digest: str | None = None,
        progress: Progress | None = None,
    ) -> Published:
        """Upload PATH (a file or a folder) into ENV's blob store, then record it as a new version of a model."""

    @_verb("model.register")
    def register(
        self,
        *,
        env: str,
        name: str,
        files: builtins.list[builtins.dict[str, Any]],
        metrics: builtins.dict[str, Any] | None = None,
        params: builtins.dict[str, Any] | None = None,
        tags: builtins.dict[str, Any] | None = None,
        run: str | None = None,
        git_commit: str | None = None,
        config_digest: str | None = None,
    ) -> Version:
        """Record a new version of a model from files already uploaded."""

    @_verb("model.rollback")
    def rollback(self, *, env: str, name: str, alias: str) -> AliasMoved:
        """Return ALIAS to the version it held before its current one."""

    @_verb("model.show")
    def show(
        self,
        *,
        ref: str,
        env: str | None = None,
        lineage: bool = False,
        as_of: str | None = None,
    ) -> VersionDetail:
        """One version: NAME (latest), NAME:VERSION, NAME@ALIAS or ENV/NAME@ALIAS; with AS_OF, the version the alias held then."""

    @_verb("model.upload")
    def upload(self, *, env: str, path: str, progress: Progress | None = None) -> Uploaded:
        """Stream the files of a model into ENV's blob store; nothing is recorded yet."""


class OverviewVerbs(_Group):
    """The `overview.*` verbs."""

    @_verb("overview.asset")
    def asset(self, *, env: str, name: str, as_of: str | None = None) -> AssetOverview:
        """One asset in ENV: its newest versions with metrics, its aliases, their history, and the aliases at AS_OF."""

    @_verb("overview.changes")
    def changes(self, *, env: str, after: int | None = None) -> ChangeFeed:
        """What changed in ENV after the cursor AFTER (none given: no changes, only the cursor to start from)."""

    @_verb("overview.matrix")
    def matrix(self, *, env: str) -> EnvironmentOverview:
        """Every model and dataset in ENV with the version each alias holds and where it was promoted from."""

    @_verb("overview.standing")
    def standing(self, *, env: str) -> Standing:
        """Who the caller is in ENV and which permissions they hold there."""

    @_verb("overview.version")
    def version(self, *, env: str, name: str, version: int) -> VersionSummary:
        """One version of an asset in ENV: metrics, tags, run, commit and where it was promoted from."""


class PolicyVerbs(_Group):
    """The `policy.*` verbs."""

    @_verb("policy.apply")
    def apply(self, *, reason: str | None = None, auto: bool = False) -> PolicyApplied:
        """Apply stageward.yaml's controls to the store: at once where you may, as a request where production loosens."""

    @_verb("policy.approve")
    def approve(self, *, id: int, comment: str | None = None) -> PolicyRequest:
        """Approve a pending policy change; the last required approval applies it."""

    @_verb("policy.history")
    def history(self) -> builtins.list[PolicyVersion]:
        """Every applied version of this project's policy: who applied it, when, through which request, what changed."""

    @_verb("policy.plan")
    def plan(self) -> PolicyPlan:
        """How stageward.yaml differs from the policy applied to the store, and what applying it needs."""

    @_verb("policy.reject")
    def reject(self, *, id: int, comment: str | None = None) -> PolicyRequest:
        """Reject a pending policy change (an approver of it), or withdraw your own."""

    @_verb("policy.requests")
    def requests(self, *, state: str | None = None) -> builtins.list[PolicyRequest]:
        """Policy change requests of this project, newest first."""

    @_verb("policy.show")
    def show(self, *, as_of: str | None = None, version: int | None = None) -> PolicyShown:
        """The policy the store enforces for this project (now, at version N, or as of a time)."""


class PromotionVerbs(_Group):
    """The `promotion.*` verbs."""

    @_verb("promotion.approve")
    def approve(self, *, id: int, comment: str | None = None, progress: Progress | None = None) -> Promotion:
        """Approve a pending promotion; the last required approval executes it (copying the bytes first)."""

    @_verb("promotion.execute")
    def execute(self, *, id: int, progress: Progress | None = None) -> Promotion:
        """Execute an approved promotion, copying its blobs first; an executed one is returned as it is (safe to repeat)."""

    @_verb("promotion.list")
    def list(self, *, env: str | None = None, state: str | None = None) -> builtins.list[Promotion]:
        """Promotions into ENV (or every environment you can read), newest first."""

    @_verb("promotion.plan")
    def plan(
        self,
        *,
        env: str,
        name: str,
        version: int,
        source: str,
        alias: str = "champion",
        mode: str | None = None,
        reason: str | None = None,
    ) -> PromotionPreview:
        """What promote would do, without doing it: gates, approvals, mode and why, the alias move.

        It takes promote's arguments (SPEC §6), REASON too: checked as promote checks it, and shown as it would be
        recorded, so a plan and a promote of one command line cannot disagree on it.
        """

    @_verb("promotion.reject")
    def reject(self, *, id: int, comment: str | None = None) -> Promotion:
        """Reject a pending or approved promotion, even one you approved; it will not execute."""

    @_verb("promotion.request")
    def request(
        self,
        *,
        env: str,
        name: str,
        version: int,
        source: str,
        alias: str = "champion",
        mode: str | None = None,
        reason: str | None = None,
        progress: Progress | None = None,
    ) -> Promotion:
        """Open a promotion of SOURCE/NAME:VERSION into ENV; checked at once, executed when approved.

        PROGRESS reports the copy of the bytes when the request executes at once across stores (the flow).
        """

    @_verb("promotion.show")
    def show(self, *, id: int) -> Promotion:
        """One promotion with its gates, decisions and result."""

    @_verb("promotion.transfer")
    def transfer(self, *, id: int, progress: Progress | None = None) -> Transferred:
        """Copy an approved promotion's blobs to the target store, verified there; writes no record."""


class RegistryVerbs(_Group):
    """The `registry.*` verbs."""

    @_verb("registry.rollback")
    def rollback(self, *, env: str, name: str, alias: str, kind: str = "model") -> AliasMoved:
        """Return ALIAS of the KIND (model or dataset) NAME to the version it held before its current one."""


class RunsVerbs(_Group):
    """The `runs.*` verbs."""

    @_verb("runs.beat")
    def beat(self, *, run_id: str, log_blob: str | None = None) -> RunBeat:
        """Keep a run you launched alive (its launcher calls this every few seconds); LOG_BLOB, a blob of the masked
        output already in the environment's store, joins the run's log as its next chunk.
        """

    @_verb("runs.begin")
    def begin(
        self,
        *,
        env: str,
        command: builtins.list[str],
        image: str | None = None,
        reads: builtins.list[str] | None = None,
        writes: builtins.list[str] | None = None,
        executor: str = "local",
        tags: builtins.dict[str, str] | None = None,
        commit: str | None = None,
        ref: str | None = None,
        dirty: bool | None = None,
        lockfile: str | None = None,
        heartbeat_seconds: float = 5.0,
    ) -> RunBegun:
        """Begin a run its launcher executes (stageward run with STAGEWARD_URL): every guardrail, on the checkout the
        launcher reports (commit, ref, dirty tree, the lockfile's text), the run recorded, its config handed over.
        """

    @_verb("runs.finish")
    def finish(
        self,
        *,
        run_id: str,
        status: str,
        exit_code: int | None = None,
        cpu_seconds: float = 0.0,
        external_id: str | None = None,
        note: str | None = None,
    ) -> RunRecord:
        """Record how a run ended (its launcher calls this): status, exit code, CPU seconds and so its cost."""

    @_verb("runs.launch")
    def launch(
        self,
        *,
        env: str,
        command: builtins.list[str],
        image: str | None = None,
        reads: builtins.list[str] | None = None,
        writes: builtins.list[str] | None = None,
        executor: str = "local",
        tags: builtins.dict[str, str] | None = None,
        workdir: Path | None = None,
        echo: OutputEcho | None = None,
    ) -> RunRecord:
        """Run COMMAND in ENV once every guardrail passes; its output is streamed, masked and stored."""

    @_verb("runs.list")
    def list(self, *, env: str | None = None, status: str | None = None, limit: int = 50) -> builtins.list[RunRecord]:
        """Runs of this project, newest first, in the environments you can read (or ENV)."""

    @_verb("runs.log_metric")
    def log_metric(self, *, run_id: str, key: str, value: float, step: int = 0) -> RunMetric:
        """Record metric KEY of a running run you launched (the SDK's stageward.log_metric)."""

    @_verb("runs.logs")
    def logs(self, *, run_id: str, after: int | None = None, chunks: int = 4) -> LogPage:
        """A page of a run's log (masked when captured): up to CHUNKS chunks after chunk AFTER (none: the first page)."""

    @_verb("runs.show")
    def show(self, *, run_id: str) -> RunDetail:
        """One run: its record and the metrics it logged."""


class ScanVerbs(_Group):
    """The `scan.*` verbs."""

    @_verb("scan.check")
    def check(self, *, env: str) -> ScanReport:
        """The vulnerability scan of ENV: its lockfile against its advisories, offline; blocking findings counted."""


class SchedulesVerbs(_Group):
    """The `schedules.*` verbs."""

    @_verb("schedules.add")
    def add(self, *, env: str, name: str, cron: str, pipeline: str = "train") -> ScheduleRecord:
        """Run PIPELINE in ENV on the cron schedule CRON (five fields, UTC)."""

    @_verb("schedules.list")
    def list(self, *, env: str | None = None) -> builtins.list[ScheduleRecord]:
        """Schedules of this project in the environments you can read (or ENV), with their next due time."""

    @_verb("schedules.remove")
    def remove(self, *, env: str, name: str) -> ScheduleRecord:
        """Remove schedule NAME of ENV."""

    @_verb("schedules.tick")
    def tick(self, *, holder: str, executor: str = "local") -> TickResult:
        """One scheduler pass: take the lease, fire what is due once (missed times counted, not replayed), and
        launch each fired run with EXECUTOR.
        """


class SecretsVerbs(_Group):
    """The `secrets.*` verbs."""

    @_verb("secrets.delete")
    def delete(self, *, env: str, name: str, team: str | None = None) -> SecretDeleted:
        """Delete NAME from ENV (one scope), every version with it."""

    @_verb("secrets.get")
    def get(self, *, env: str, name: str, team: str | None = None) -> SecretValue:
        """The current value of NAME in ENV (audited)."""

    @_verb("secrets.history")
    def history(self, *, env: str, name: str, team: str | None = None) -> builtins.list[SecretVersion]:
        """Every version of NAME in ENV: who set it, when, how, and when it expires. Never values."""

    @_verb("secrets.list")
    def list(self, *, env: str | None = None) -> builtins.list[SecretInfo]:
        """Secrets by name, scope, version and expiry, in ENV or everywhere the caller may read config. Never values."""

    @_verb("secrets.rotate")
    def rotate(self, *, env: str | None = None, expiring_within: str | None = None) -> builtins.list[RotationOutcome]:
        """Rotate secrets that expire within the window and have a generator; list what must be rotated by hand.

        API keys expiring in the window are listed too: they cannot rotate themselves. Returns one row per
        secret or key with its outcome (rotated, rotate by hand, failed). When any rotation failed, the others
        are still kept and the verb raises PartlyFailed (exit 1) whose `result` is that same list of rows.
        """

    @_verb("secrets.set")
    def set(
        self,
        *,
        env: str,
        name: str,
        value: str | None = None,
        team: str | None = None,
        expires_in: str | None = None,
        rotate_with: str | None = None,
        generate: bool = False,
    ) -> SecretSet:
        """Store a new version of secret NAME in ENV (the value comes from stdin, never an argument)."""


class TeamVerbs(_Group):
    """The `team.*` verbs."""

    @_verb("team.add_member")
    def add_member(self, *, team: str, member: str, maintainer: bool = False) -> MemberAdded:
        """Add MEMBER (a user or service principal) to TEAM; a maintainer may add and remove its members."""

    @_verb("team.create")
    def create(self, *, name: str, prefix: str | None = None) -> TeamCreated:
        """Create team NAME whose projects carry PREFIX (default NAME-)."""

    @_verb("team.list")
    def list(self) -> builtins.list[Team]:
        """Teams with their prefixes and members."""

    @_verb("team.remove_member")
    def remove_member(self, *, team: str, member: str) -> MemberRemoved:
        """Remove MEMBER from TEAM (a store admin, or a maintainer for a member who maintains nothing)."""


class VerifyVerbs(_Group):
    """The `verify.*` verbs."""

    @_verb("verify.asset")
    def asset(self, *, ref: str, env: str | None = None) -> Verified:
        """Rehash a version's blobs and its lineage's; fail on any mismatch; say what was read, per version."""


class WebhooksVerbs(_Group):
    """The `webhooks.*` verbs."""

    @_verb("webhooks.add")
    def add(self, *, env: str, url: str) -> WebhookAdded:
        """Send ENV's events to URL, signed with a new secret (shown once)."""

    @_verb("webhooks.deliveries")
    def deliveries(self, *, id: int, limit: int = 50) -> builtins.list[Delivery]:
        """The delivery log of webhook ID, newest first: event, state, attempts, last status or error."""

    @_verb("webhooks.list")
    def list(self, *, env: str | None = None) -> builtins.list[Webhook]:
        """Webhooks of ENV, or of every environment where the caller manages access, with their pending deliveries."""

    @_verb("webhooks.remove")
    def remove(self, *, id: int) -> WebhookRemoved:
        """Stop sending events to webhook ID; its pending deliveries are dropped."""


class Verbs(abc.ABC):
    """The verb groups of `Client`: `client.access.grant(...)` is `client.call("access.grant", ...)`."""

    @abc.abstractmethod
    def call(self, verb: str, /, **arguments: Any) -> Any:
        """Run VERB with ARGUMENTS: `Client.call`, locally or over HTTP; the result as plain JSON."""

    @abc.abstractmethod
    def result(self, verb: str, /, **arguments: Any) -> Any:
        """Run VERB with ARGUMENTS; the result as its model (validated from JSON when it came as JSON)."""

    @property
    def access(self) -> AccessVerbs:
        return AccessVerbs(self)

    @property
    def audit(self) -> AuditVerbs:
        return AuditVerbs(self)

    @property
    def blob(self) -> BlobVerbs:
        return BlobVerbs(self)

    @property
    def config(self) -> ConfigVerbs:
        return ConfigVerbs(self)

    @property
    def cost(self) -> CostVerbs:
        return CostVerbs(self)

    @property
    def dataset(self) -> DatasetVerbs:
        return DatasetVerbs(self)

    @property
    def env(self) -> EnvVerbs:
        return EnvVerbs(self)

    @property
    def events(self) -> EventsVerbs:
        return EventsVerbs(self)

    @property
    def gc(self) -> GcVerbs:
        return GcVerbs(self)

    @property
    def keys(self) -> KeysVerbs:
        return KeysVerbs(self)

    @property
    def model(self) -> ModelVerbs:
        return ModelVerbs(self)

    @property
    def overview(self) -> OverviewVerbs:
        return OverviewVerbs(self)

    @property
    def policy(self) -> PolicyVerbs:
        return PolicyVerbs(self)

    @property
    def promotion(self) -> PromotionVerbs:
        return PromotionVerbs(self)

    @property
    def registry(self) -> RegistryVerbs:
        return RegistryVerbs(self)

    @property
    def runs(self) -> RunsVerbs:
        return RunsVerbs(self)

    @property
    def scan(self) -> ScanVerbs:
        return ScanVerbs(self)

    @property
    def schedules(self) -> SchedulesVerbs:
        return SchedulesVerbs(self)

    @property
    def secrets(self) -> SecretsVerbs:
        return SecretsVerbs(self)

    @property
    def team(self) -> TeamVerbs:
        return TeamVerbs(self)

    @property
    def verify(self) -> VerifyVerbs:
        return VerifyVerbs(self)

    @property
    def webhooks(self) -> WebhooksVerbs:
        return WebhooksVerbs(self)
