"""Secrets per environment (SPEC §3): set, get, list, history, delete, rotate; and the seams config and runs use.

Values are encrypted before they reach a repository and decrypted only in `get`,
`SecretStoreSource.reveal` and `values_for_run`; none of them is ever put in an
audit entry, an error message or a listing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from stageward.access.decide import Target
from stageward.errors import BadInput, CheckFailed, Denied, NotFound, PartlyFailed
from stageward.secrets import scopes
from stageward.secrets.durations import format_duration, parse_duration
from stageward.secrets.envelope import (
    Keyring,
    decrypt_value,
    encrypt_value,
)
from stageward.secrets.names import check_name, check_value
from stageward.secrets.rotation import Generator, parse_generator
from stageward.service.catalogue import verb
from stageward.service.chain_key import chain_key
from stageward.service.clock import timestamp
from stageward.service.keyring import load_keyring
from stageward.service.results.base import to_json
from stageward.service.results.secrets import (
    RotationOutcome,
    SecretDeleted,
    SecretInfo,
    SecretSet,
    SecretValue,
    SecretVersion,
)
from stageward.service.unit import Unit
from stageward.store.db import access_repo, audit_repo, secrets_repo

if TYPE_CHECKING:
    from stageward.store.db.secrets_repo import SecretRecord

DEFAULT_ROTATION_WINDOW = "7d"


class SecretExpired(CheckFailed):
    """A secret's current version is past its expiry: it is not handed out until someone sets or rotates it."""

    code = "secret_expired"


def _data_key(unit: Unit, keyring: Keyring, environment: str, *, create: bool) -> bytes | None:
    wrapped = secrets_repo.get_wrapped_data_key(unit.conn, environment)
    if wrapped is None:
        if not create:
            return None
        data_key, wrapped = keyring.new_data_key(environment)
        secrets_repo.add_data_key(unit.conn, environment, wrapped, keyring.key_id, at=unit.now(), by=unit.principal)
        return data_key
    return keyring.unwrap_data_key(environment, wrapped)


# Scope and lookups --------------------------------------------------------------------------------




def _team_target(team: str) -> Target:
    """A team-scoped secret is checked against the team alone: a binding narrowed to one project never reaches it."""
    return Target("", team)


def _applies_here(unit: Unit, row: SecretRecord) -> bool:
    return scopes.applies_to(row, unit.ctx.target().team)


def _expired(unit: Unit, row: SecretRecord) -> bool:
    return scopes.expired(row, unit.now())


class _Environment:
    """One environment's secrets as this project sees them, read once: its own and its registered team's."""

    def __init__(self, unit: Unit, environment: str) -> None:
        self.unit = unit
        self.environment = environment
        self._rows: dict[str, list[SecretRecord]] | None = None
        self._data_key: bytes | None = None

    def rows(self, name: str) -> list[SecretRecord]:
        if self._rows is None:
            self._rows = {}
            target = self.unit.ctx.target()
            found = secrets_repo.find_secrets(
                self.unit.conn, self.environment, project=target.project, team=target.team, with_ciphertext=True
            )
            for row in found:
                self._rows.setdefault(row.name, []).append(row)
        return self._rows.get(name, [])

    def names(self) -> list[str]:
        self.rows("")
        assert self._rows is not None
        return sorted(self._rows)

    def visible(self, name: str) -> SecretRecord | None:
        """The scope of NAME this project resolves: its own secret before its team's."""
        return scopes.winner(self.rows(name))

    def exact(self, name: str, team: str | None) -> SecretRecord:
        """NAME in exactly one scope: TEAM's (any team, checked by the caller) or this project's own."""
        row = secrets_repo.get_secret(
            self.unit.conn, self.environment, team, name, project=self.unit.ctx.project.spec.project,
            with_ciphertext=True,
        )
        if row is None:
            where = f" for team {team}" if team else f" for project {self.unit.ctx.project.spec.project}"
            raise NotFound(f"no secret {name} in {self.environment}{where}")
        return row

    def resolve(self, name: str, team: str | None = None) -> SecretRecord:
        """The row NAME resolves to (exactly TEAM's when given); NotFound when none."""
        if team is not None:
            return self.exact(name, team)
        row = self.visible(name)
        if row is None:
            raise NotFound(
                f"no secret {name} in {self.environment}",
                hint=f"project {self.unit.ctx.project.spec.project} sees its own secrets and its team's",
            )
        return row

    def decrypt(self, row: SecretRecord) -> str:
        if self._data_key is None:
            keyring = load_keyring(self.unit.ctx, self.unit.conn, create=False)
            self._data_key = _data_key(self.unit, keyring, self.environment, create=False) if keyring else None
            if self._data_key is None:
                raise NotFound(f"secret {row.name} in {self.environment} has no stored value")
        assert row.ciphertext is not None  # every row of this class is read with its ciphertext
        return decrypt_value(
            self._data_key,
            row.ciphertext,
            environment=self.environment,
            team=row.team,
            name=row.name,
            version=row.current_version,
        )


def _refuse_expired(unit: Unit, row: SecretRecord) -> None:
    if _expired(unit, row):
        raise SecretExpired(
            f"secret {row.name} in {row.environment} ({scopes.row_scope(row)}) expired at {row.expires_at}",
            hint=f"set a new value: stageward secrets set {row.name} --env {row.environment}"
            + (" (or: stageward secrets rotate)" if row.rotate_with else ""),
        )


def _public(unit: Unit, row: SecretRecord) -> SecretInfo:
    """What may be shown about a secret: everything but the value."""
    return SecretInfo(
        environment=row.environment,
        name=row.name,
        scope=scopes.row_scope(row),
        version=row.current_version,
        expires_at=row.expires_at,
        expired=_expired(unit, row),
        rotate_with=row.rotate_with,
        expires_every=format_duration(row.ttl_seconds) if row.ttl_seconds else None,
        applies_here=_applies_here(unit, row),
        updated_at=row.updated_at,
        updated_by=row.updated_by,
    )


def _check_team(unit: Unit, team: str | None, env: str, permission: str) -> None:
    """A team's secrets are written by its members (holding PERMISSION for the team) or by an admin there."""
    if team is None:
        return
    if access_repo.get_team(unit.conn, team) is None:
        raise NotFound(f"no team {team!r}", hint="create it: stageward team create NAME")
    target = _team_target(team)
    unit.require(permission, env, target)
    if not access_repo.is_member(unit.conn, team, unit.principal) and not unit.can("access.manage", env, target):
        raise Denied(
            f"denied: {unit.principal} is not a member of team {team}; only its members or an admin of {env} "
            f"write its secrets",
            permission=permission,
            environment=env,
        )


def _commands(unit: Unit) -> dict[str, list[str]]:
    """The rotation commands of the applied policy, by generator name: the only commands rotation ever runs."""
    policy = unit.ctx.policy
    return {name: list(g.command) for name, g in policy.generators.items()} if policy is not None else {}


def _write_version(
    unit: Unit,
    keyring: Keyring,
    *,
    environment: str,
    team: str | None,
    name: str,
    value: str,
    ttl: timedelta | None,
    rotate_with: str | None,
    origin: str,
    existing: SecretRecord | None,
) -> tuple[int, str | None]:
    data_key = _data_key(unit, keyring, environment, create=True)
    assert data_key is not None
    if existing is None:
        secret_id = secrets_repo.add_secret(
            unit.conn,
            environment=environment,
            team=team,
            project=None if team else unit.ctx.project.spec.project,
            name=name,
            ttl_seconds=int(ttl.total_seconds()) if ttl else None,
            rotate_with=rotate_with,
            at=unit.now(),
            by=unit.principal,
        )
        version = 1
    else:
        secret_id = existing.id
        version = secrets_repo.latest_version_number(unit.conn, secret_id) + 1
    expires_at = timestamp(unit.ctx.clock.now() + ttl) if ttl else None
    ciphertext = encrypt_value(data_key, value, environment=environment, team=team, name=name, version=version)
    secrets_repo.add_version(
        unit.conn,
        secret_id,
        version,
        ciphertext,
        expires_at=expires_at,
        at=unit.now(),
        by=unit.principal,
        origin=origin,
    )
    secrets_repo.update_secret(
        unit.conn,
        secret_id,
        current_version=version,
        ttl_seconds=int(ttl.total_seconds()) if ttl else None,
        rotate_with=rotate_with,
    )
    return version, expires_at


# Verbs --------------------------------------------------------------------------------------------


@verb("secrets.set", permission="secrets.write", write=True, http=("PUT", "/envs/{env}/secrets/{name}"))
def set_secret(
    unit: Unit,
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
    check_name(name)
    _check_team(unit, team, env, "secrets.write")
    existing = secrets_repo.get_secret(unit.conn, env, team, name, project=unit.ctx.project.spec.project)
    ttl = parse_duration(expires_in, option="--expires-in") if expires_in else None
    commands = _commands(unit)
    generator: Generator | None = parse_generator(rotate_with, declared=commands) if rotate_with else None
    if existing is not None:
        # Options left out keep the secret's policy: a manual update must not drop its rotation or expiry.
        if ttl is None and existing.ttl_seconds:
            ttl = timedelta(seconds=existing.ttl_seconds)
        if generator is None and existing.rotate_with:
            try:
                generator = parse_generator(existing.rotate_with)
            except BadInput:
                generator = None  # a command stored before generators were named: never kept, never run
    if generate:
        if generator is None:
            raise BadInput("--generate needs --rotate-with (random:N or generator:NAME) to make the value")
        if value is not None:
            raise BadInput("--generate makes the value: give no value on stdin with it")
        text = generator.generate(commands)
    else:
        if value is None:
            raise BadInput("no value given: pipe it on stdin (or use --generate with --rotate-with)")
        text = check_value(value)
    keyring = load_keyring(unit.ctx, unit.conn, create=True)
    assert keyring is not None
    version, expires_at = _write_version(
        unit,
        keyring,
        environment=env,
        team=team,
        name=name,
        value=text,
        ttl=ttl,
        rotate_with=generator.spec if generator else None,
        origin="set",
        existing=existing,
    )
    unit.audit(
        environment=env,
        target=name,
        details={
            "scope": scopes.scope(team, unit.ctx.project.spec.project),
            "version": version,
            "expires_at": expires_at,
            "rotate_with": generator.spec if generator else None,
        },
    )
    return SecretSet(
        environment=env,
        name=name,
        scope=scopes.scope(team, unit.ctx.project.spec.project),
        version=version,
        expires_at=expires_at,
        rotate_with=generator.spec if generator else None,
    )


@verb("secrets.get", permission="secrets.read_value", write=True, http=("POST", "/envs/{env}/secrets/{name}/reveal"))
def get_secret(unit: Unit, *, env: str, name: str, team: str | None = None) -> SecretValue:
    """The current value of NAME in ENV (audited)."""
    check_name(name)
    secrets_here = _Environment(unit, env)
    row = secrets_here.resolve(name, team)
    if row.team is not None and row.team != unit.ctx.target().team:
        # Another team's secret, asked for by its exact scope: only an admin of ENV for that team reads it,
        # deliberately (SPEC §3); a project named with the team's prefix but not registered to it gets nothing.
        unit.require("access.manage", env, _team_target(row.team))
    _refuse_expired(unit, row)
    value = secrets_here.decrypt(row)
    unit.audit(
        environment=env,
        target=name,
        details={"scope": scopes.row_scope(row), "version": row.current_version},
    )
    return SecretValue(
        environment=env,
        name=name,
        scope=scopes.row_scope(row),
        version=row.current_version,
        expires_at=row.expires_at,
        value=value,
    )


@verb("secrets.list", http=("GET", "/secrets"))
def list_secrets(unit: Unit, *, env: str | None = None) -> list[SecretInfo]:
    """Secrets by name, scope, version and expiry, in ENV or everywhere the caller may read config. Never values."""
    if env is not None:
        unit.require("config.read", env)
        environments = [env]
    else:
        environments = unit.require_somewhere("config.read")
    target = unit.ctx.target()
    rows = secrets_repo.all_secrets(unit.conn, environments, project=target.project, team=target.team)
    return [_public(unit, row) for row in rows]


@verb("secrets.history", permission="config.read", http=("GET", "/envs/{env}/secrets/{name}/versions"))
def history(unit: Unit, *, env: str, name: str, team: str | None = None) -> list[SecretVersion]:
    """Every version of NAME in ENV: who set it, when, how, and when it expires. Never values."""
    check_name(name)
    secrets_here = _Environment(unit, env)
    rows = [secrets_here.exact(name, team)] if team is not None else secrets_here.rows(name)
    if not rows:
        raise NotFound(f"no secret {name} in {env}")
    out = []
    for row in rows:
        for version in secrets_repo.versions(unit.conn, row.id):
            out.append(
                SecretVersion(
                    environment=env,
                    name=name,
                    scope=scopes.row_scope(row),
                    version=version.version,
                    current=version.version == row.current_version,
                    origin=version.origin,
                    created_at=version.created_at,
                    created_by=version.created_by,
                    expires_at=version.expires_at,
                )
            )
    return out


@verb("secrets.delete", permission="secrets.write", write=True, http=("DELETE", "/envs/{env}/secrets/{name}"))
def delete_secret(unit: Unit, *, env: str, name: str, team: str | None = None) -> SecretDeleted:
    """Delete NAME from ENV (one scope), every version with it."""
    check_name(name)
    _check_team(unit, team, env, "secrets.write")
    row = _Environment(unit, env).exact(name, team)
    versions = secrets_repo.delete_secret(unit.conn, row.id)
    unit.audit(environment=env, target=name, details={"scope": scopes.row_scope(row), "versions": versions})
    return SecretDeleted(environment=env, name=name, scope=scopes.row_scope(row), versions_deleted=versions)


def _rotation(row: SecretRecord, outcome: str, detail: str) -> RotationOutcome:
    return RotationOutcome(
        kind="secret",
        environment=row.environment,
        name=row.name,
        scope=scopes.row_scope(row),
        expires_at=row.expires_at,
        outcome=outcome,
        detail=detail,
    )


@verb("secrets.rotate", write=True, http=("POST", "/secrets/rotate"))
def rotate_secrets(unit: Unit, *, env: str | None = None, expiring_within: str | None = None) -> list[RotationOutcome]:
    """Rotate secrets that expire within the window and have a generator; list what must be rotated by hand.

    API keys expiring in the window are listed too: they cannot rotate themselves. Returns one row per
    secret or key with its outcome (rotated, rotate by hand, failed). When any rotation failed, the others
    are still kept and the verb raises PartlyFailed (exit 1) whose `result` is that same list of rows.
    """
    window = parse_duration(expiring_within or DEFAULT_ROTATION_WINDOW, option="--expiring-within")
    if env is not None:
        unit.require("secrets.write", env)
        environments = [env]
    else:
        environments = unit.require_somewhere("secrets.write")
    horizon = timestamp(unit.ctx.clock.now() + window)
    results: list[RotationOutcome] = []
    failures: list[str] = []
    keyring: Keyring | None = None
    target = unit.ctx.target()
    commands = _commands(unit)
    for row in secrets_repo.all_secrets(unit.conn, environments, project=target.project, team=target.team):
        if row.expires_at is None or row.expires_at > horizon:
            continue
        if not row.rotate_with:
            results.append(_rotation(row, "rotate by hand", "no --rotate-with generator"))
            continue
        try:
            try:
                generator = parse_generator(row.rotate_with, declared=commands)
            except BadInput:
                raise CheckFailed(
                    "its stored --rotate-with is not random:N or a generator of the applied policy; "
                    "set it again with --rotate-with generator:NAME"
                ) from None
            value = generator.generate(commands)
            if keyring is None:
                keyring = load_keyring(unit.ctx, unit.conn, create=True)
            assert keyring is not None
            ttl = timedelta(seconds=row.ttl_seconds) if row.ttl_seconds else None
            version, expires_at = _write_version(
                unit,
                keyring,
                environment=row.environment,
                team=row.team,
                name=row.name,
                value=value,
                ttl=ttl,
                rotate_with=row.rotate_with,
                origin="rotate",
                existing=row,
            )
        except CheckFailed as exc:
            failures.append(f"{row.environment}/{row.name}")
            results.append(_rotation(row, "failed", exc.message))
            unit.audit(
                environment=row.environment,
                target=row.name,
                outcome="failed",
                details={"scope": scopes.row_scope(row), "reason": exc.message},
            )
            continue
        results.append(_rotation(row, "rotated", f"version {version}, expires {expires_at or 'never'}"))
        unit.audit(
            environment=row.environment,
            target=row.name,
            details={"scope": scopes.row_scope(row), "version": version, "generator": generator.spec},
        )
    for key in secrets_repo.list_api_keys(unit.conn, environments):
        if key.revoked_at or key.replaced_by or key.expires_at > horizon:
            continue
        results.append(
            RotationOutcome(
                kind="api key",
                environment=key.environment,
                name=key.prefix,
                scope=key.principal,
                expires_at=key.expires_at,
                outcome="rotate by hand",
                detail=f"stageward keys rotate {key.prefix}",
            )
        )
    unit.audit(
        environment=env,
        target=None,
        action="secrets.rotate.run",
        details={
            "window": format_duration(int(window.total_seconds())),
            "rotated": sum(r.outcome == "rotated" for r in results),
            "by_hand": sum(r.outcome == "rotate by hand" for r in results),
            "failed": len(failures),
        },
    )
    if failures:
        # What rotated stays rotated (committed); the report of every secret leaves with the failure.
        attempted = sum(r.outcome in ("rotated", "failed") for r in results)
        shown = ", ".join(failures[:5]) + (f" and {len(failures) - 5} more" if len(failures) > 5 else "")
        unit.fail_after_commit(
            PartlyFailed(
                f"{len(failures)} of {attempted} rotation(s) failed: {shown}",
                result=to_json(results),  # JSON rows, as Client.call returns the report
                hint="each secret's outcome is in the report; fix the failed ones and run secrets rotate again",
            )
        )
    return results


# Seams for configuration (`${secret:NAME}`) and runs ----------------------------------------------


class SecretStoreSource:
    """Secrets of one environment as this project sees them (team scope honoured), for `${secret:NAME}`.

    Reads the environment's rows once per source; every reveal is audited (name and
    version, never the value) before the value is returned.
    """

    def __init__(self, unit: Unit, env: str) -> None:
        unit.ctx.environment(env)  # NotFound for an environment stageward.yaml does not declare
        self.unit = unit
        self.env = env
        self._secrets = _Environment(unit, env)

    def exists(self, name: str) -> bool:
        """True when a current, unexpired version of NAME is visible in the environment."""
        try:
            check_name(name)
        except BadInput:
            return False  # no secret can carry a malformed name
        row = self._secrets.visible(name)
        return row is not None and not _expired(self.unit, row)

    def reveal(self, name: str) -> str:
        """The value of NAME; needs secrets.read_value in the environment; audited (the name, never the value)."""
        return self.reveal_many([name])[name]

    def reveal_many(self, names: Iterable[str]) -> dict[str, str]:
        """The values of NAMES with one audit entry naming them all: a whole config revealed at once."""
        self.unit.require("secrets.read_value", self.env)
        rows = []
        for name in dict.fromkeys(names):
            check_name(name)
            row = self._secrets.resolve(name)
            _refuse_expired(self.unit, row)
            rows.append(row)
        values = {row.name: self._secrets.decrypt(row) for row in rows}
        if values:
            _audit_reveal(
                self.unit,
                environment=self.env,
                target=rows[0].name if len(rows) == 1 else None,
                action="secrets.reveal",
                details={
                    "secrets": [
                        {"name": r.name, "scope": scopes.row_scope(r), "version": r.current_version} for r in rows
                    ],
                    "via": self.unit.spec.name,
                },
            )
        return values


def values_for_run(unit: Unit, env: str, names: Iterable[str] | None = None) -> dict[str, str]:
    """The values a run in ENV receives, by name (team scope honoured), so its logs can be masked.

    Needs runs.launch in ENV (a run's code sees its secrets; reading them back out is
    secrets.read_value). With NAMES, exactly those (missing or expired ones are errors);
    without, every visible, unexpired secret. One audit entry names what was delivered.
    """
    unit.require("runs.launch", env)
    secrets_here = _Environment(unit, env)
    rows = []
    if names is None:
        for name in secrets_here.names():
            row = secrets_here.visible(name)
            if row is not None and not _expired(unit, row):
                rows.append(row)
    else:
        for name in dict.fromkeys(names):
            check_name(name)
            row = secrets_here.resolve(name)
            _refuse_expired(unit, row)
            rows.append(row)
    if not rows:
        return {}
    values = {row.name: secrets_here.decrypt(row) for row in rows}
    _audit_reveal(
        unit,
        environment=env,
        target=None,
        action="secrets.deliver",
        details={"names": sorted(values), "via": unit.spec.name},
    )
    return values


def _audit_reveal(unit: Unit, *, environment: str, target: str | None, action: str, details: dict[str, Any]) -> None:
    """Audit a reveal before the value leaves: in the unit when it writes, else in a transaction of its own."""
    if unit.conn.info.get("stageward_write"):
        unit.audit(environment=environment, target=target, action=action, details=details)
        return
    with unit.ctx.database.transaction(write=True) as conn:
        audit_repo.append(
            conn,
            key=chain_key(unit.ctx, conn),
            time=unit.now(),
            principal=unit.principal,
            action=action,
            environment=environment,
            target=target,
            outcome="ok",
            details=details,
        )
