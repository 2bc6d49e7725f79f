"""API keys (SPEC §2): each bound to one principal and one environment, with a TTL; stored only as a keyed hash.

`authenticate()` is what the server calls with a presented bearer key; it answers
(principal, environment), and the server then acts with a Context whose
`bound_environment` keeps the key inside its environment.
"""

from __future__ import annotations

import hmac
from datetime import timedelta
from typing import TYPE_CHECKING

from stageward.access.decide import EVERY_ENVIRONMENT
from stageward.access.principals import principal_kind
from stageward.errors import BadInput, Conflict, Denied, NotFound, Unauthenticated
from stageward.secrets.api_keys import key_prefix, new_api_key, split_key
from stageward.secrets.durations import parse_duration
from stageward.secrets.envelope import Keyring
from stageward.service.catalogue import verb
from stageward.service.clock import timestamp
from stageward.service.keyring import load_keyring
from stageward.service.results.access import KeyInfo, KeyIssued, KeyRevoked, KeyRotated
from stageward.service.unit import Unit
from stageward.store.db import access_repo, secrets_repo

if TYPE_CHECKING:
    from stageward.service.context import Context
    from stageward.store.db.secrets_repo import ApiKeyRecord

DEFAULT_TTL = "30d"
MAX_TTL = timedelta(days=366)
# last_used_at is written at most this often per key, so authenticating stays a read on the hot path.
LAST_USED_RESOLUTION = timedelta(seconds=60)


def _ttl(text: str) -> timedelta:
    ttl = parse_duration(text, option="--ttl")
    if ttl > MAX_TTL:
        raise BadInput(f"--ttl {text}: expected at most 366d; make a new key (or rotate) when it runs out")
    return ttl


def _status(row: ApiKeyRecord, now: str) -> str:
    if row.revoked_at:
        return "revoked"
    if row.expires_at <= now:
        return "expired"
    if row.replaced_by:
        return f"overlap until expiry (successor {row.replaced_by})"
    return "active"


def _public(row: ApiKeyRecord, now: str) -> KeyInfo:
    return KeyInfo(
        prefix=row.prefix,
        principal=row.principal,
        environment=row.environment,
        expires_at=row.expires_at,
        last_used_at=row.last_used_at,
        status=_status(row, now),
        created_at=row.created_at,
        created_by=row.created_by,
    )


def _may_manage(unit: Unit, principal: str, environment: str) -> None:
    """Your own key needs only sight of the environment; anyone else's needs access.manage there."""
    if principal == unit.principal:
        unit.require("env.read", environment)
    else:
        unit.require("access.manage", environment)


def _by_a_person(unit: Unit, environment: str | None, verb: str) -> None:
    """A key never makes keys: else a leaked key could mint its own successor and outlive its revocation."""
    if unit.ctx.bound_environment is not None:
        raise Denied(
            f"denied: {unit.principal} acts through an API key, and keys are made by a person, not by a key "
            f"({verb} refused)",
            environment=environment,
            hint="unset STAGEWARD_API_KEY and run it as yourself",
        )


def _holds_a_role(unit: Unit, principal: str, environment: str) -> None:
    """A key for PRINCIPAL in ENVIRONMENT could do nothing without a binding there: refuse to make it.

    Read from the store (directly or through a team), not from the caller's own access.
    """
    _teams, held = access_repo.access_of(unit.conn, principal)
    if not any(binding.environment in (environment, EVERY_ENVIRONMENT) for binding in held):
        raise BadInput(
            f"{principal} holds no role in {environment}: a key for it there could do nothing",
            hint=f"grant one first: stageward access grant {principal} ROLE --env {environment}",
        )


def _issue(unit: Unit, keyring: Keyring, *, principal: str, environment: str, ttl: timedelta) -> tuple[str, str, str]:
    while True:
        key = new_api_key(environment)
        prefix = key_prefix(key)
        if not secrets_repo.prefix_taken(unit.conn, prefix):
            break
    expires_at = timestamp(unit.ctx.clock.now() + ttl)
    secrets_repo.add_api_key(
        unit.conn,
        prefix=prefix,
        digest=keyring.api_key_digest(key),
        principal=principal,
        environment=environment,
        ttl_seconds=int(ttl.total_seconds()),
        expires_at=expires_at,
        at=unit.now(),
        by=unit.principal,
    )
    return key, prefix, expires_at


@verb("keys.create", write=True, http=("POST", "/envs/{env}/keys"))
def create_key(unit: Unit, *, env: str, principal: str, ttl: str = DEFAULT_TTL) -> KeyIssued:
    """A new API key for PRINCIPAL in ENV, shown once."""
    if principal_kind(principal) == "team":
        raise BadInput(f"--principal {principal}: a key acts as one user or service principal, not a team")
    _by_a_person(unit, env, "keys create")
    _may_manage(unit, principal, env)
    lifetime = _ttl(ttl)
    _holds_a_role(unit, principal, env)
    if not access_repo.principal_exists(unit.conn, principal):
        access_repo.add_principal(unit.conn, principal, principal_kind(principal), at=unit.now(), by=unit.principal)
    keyring = load_keyring(unit.ctx, unit.conn, create=True)
    assert keyring is not None
    key, prefix, expires_at = _issue(unit, keyring, principal=principal, environment=env, ttl=lifetime)
    unit.audit(environment=env, target=prefix, details={"principal": principal, "expires_at": expires_at})
    return KeyIssued(key=key, prefix=prefix, principal=principal, environment=env, expires_at=expires_at)


@verb("keys.list", http=("GET", "/keys"))
def list_keys(unit: Unit, *, env: str | None = None, principal: str | None = None) -> list[KeyInfo]:
    """Keys by prefix, principal, expiry and last use: all keys where you manage access, your own anywhere."""
    environments = [env] if env is not None else [*unit.ctx.environments]
    if env is not None:
        unit.require("env.read", env)
    now = unit.now()
    rows = []
    for row in secrets_repo.list_api_keys(unit.conn, environments, principal):
        if row.principal == unit.principal or unit.can("access.manage", row.environment):
            rows.append(_public(row, now))
    return rows


def _key(unit: Unit, prefix: str) -> ApiKeyRecord:
    unit.target = prefix
    row = secrets_repo.api_key_by_prefix(unit.conn, prefix)
    if row is None:
        raise NotFound(f"no API key {prefix}", hint="stageward keys list shows the prefixes you can manage")
    _may_manage(unit, row.principal, row.environment)
    return row


@verb("keys.revoke", write=True, http=("POST", "/keys/{prefix}/revoke"))
def revoke_key(unit: Unit, *, prefix: str) -> KeyRevoked:
    """Revoke the key PREFIX at once."""
    row = _key(unit, prefix)
    if row.revoked_at:
        raise Conflict(f"API key {prefix} was already revoked at {row.revoked_at} by {row.revoked_by}")
    secrets_repo.revoke_api_key(unit.conn, prefix, at=unit.now(), by=unit.principal)
    unit.audit(environment=row.environment, target=prefix, details={"principal": row.principal})
    return KeyRevoked(prefix=prefix, principal=row.principal, environment=row.environment, revoked_at=unit.now())


@verb("keys.rotate", write=True, http=("POST", "/keys/{prefix}/rotate"))
def rotate_key(unit: Unit, *, prefix: str, overlap: str = "7d") -> KeyRotated:
    """A successor of key PREFIX, shown once; the old key stays valid for the overlap, then expires."""
    unit.target = prefix
    _by_a_person(unit, unit.ctx.bound_environment, "keys rotate")
    row = _key(unit, prefix)
    now = unit.now()
    if row.revoked_at:
        raise Conflict(f"API key {prefix} is revoked: create a new one with stageward keys create")
    if row.expires_at <= now:
        raise Conflict(f"API key {prefix} expired at {row.expires_at}: create a new one with stageward keys create")
    if row.replaced_by:
        raise Conflict(f"API key {prefix} was already rotated; its successor is {row.replaced_by}")
    grace = parse_duration(overlap, option="--overlap")
    _holds_a_role(unit, row.principal, row.environment)
    keyring = load_keyring(unit.ctx, unit.conn, create=True)
    assert keyring is not None
    key, new_prefix, expires_at = _issue(
        unit,
        keyring,
        principal=row.principal,
        environment=row.environment,
        ttl=timedelta(seconds=row.ttl_seconds),
    )
    old_expires = min(row.expires_at, timestamp(unit.ctx.clock.now() + grace))
    secrets_repo.shorten_api_key(unit.conn, prefix, expires_at=old_expires, replaced_by=new_prefix)
    unit.audit(
        environment=row.environment,
        target=prefix,
        details={"principal": row.principal, "successor": new_prefix, "old_expires_at": old_expires},
    )
    return KeyRotated(
        key=key,
        prefix=new_prefix,
        principal=row.principal,
        environment=row.environment,
        expires_at=expires_at,
        replaces=prefix,
        old_key_expires_at=old_expires,
    )


class KeyAuthenticator:
    """Resolves presented API keys for a server: derives the HMAC key once, then one indexed read per request."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._keyring: Keyring | None = None
        # Compared against when no key row matched, so a miss costs what a hit costs.
        self._decoy = "0" * 64

    def authenticate(self, presented: str) -> tuple[str, str]:
        """(principal, environment) of a valid key; Unauthenticated otherwise, without echoing what was presented."""
        parts = split_key(presented)
        if parts is None:
            raise Unauthenticated(
                "the API key is malformed: expected sw_<environment>_<44 letters and digits>",
                hint="keys are shown once by stageward keys create; copy the whole key",
            )
        prefix = key_prefix(presented)
        if self._keyring is None:
            with self.ctx.database.transaction(write=False) as conn:
                self._keyring = load_keyring(self.ctx, conn, create=False)
        row = secrets_repo.api_key_for_authentication(self.ctx.database, prefix)
        digest = self._keyring.api_key_digest(presented) if self._keyring else self._decoy
        stored = row.digest if row is not None else self._decoy
        matched = hmac.compare_digest(digest, stored)
        if row is None or self._keyring is None or not matched:
            raise Unauthenticated("the API key is not valid", hint="check STAGEWARD_API_KEY, or create a key")
        # From here the key is genuine, so naming its public prefix helps its owner and no one else.
        now = timestamp(self.ctx.clock.now())
        if row.revoked_at:
            raise Unauthenticated(f"API key {prefix} was revoked at {row.revoked_at}")
        if row.expires_at <= now:
            raise Unauthenticated(f"API key {prefix} expired at {row.expires_at}")
        if row.environment != parts[0]:
            raise Unauthenticated("the API key is not valid", hint="check STAGEWARD_API_KEY, or create a key")
        last = row.last_used_at
        if last is None or last < timestamp(self.ctx.clock.now() - LAST_USED_RESOLUTION):
            with self.ctx.database.transaction(write=True) as conn:
                secrets_repo.touch_api_key(conn, prefix, now)
        return row.principal, row.environment


def authenticate(ctx: Context, presented_key: str) -> tuple[str, str]:
    """(principal, environment) of PRESENTED_KEY, checked in constant time; for the server's auth dependency."""
    return KeyAuthenticator(ctx).authenticate(presented_key)
