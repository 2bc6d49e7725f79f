"""Reads and writes of data keys, secrets, their versions and API keys. Never commits: the caller's unit does.

Values never pass through here in the clear: only ciphertexts and digests.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, and_, delete, insert, or_, select, update

from stageward.store.db.engine import Database
from stageward.store.db.schema_secrets import api_keys, secret_data_keys, secret_versions, secrets

# Data keys ----------------------------------------------------------------------------------------


def get_data_key(conn: Connection, environment: str) -> dict[str, Any] | None:
    row = conn.execute(select(secret_data_keys).where(secret_data_keys.c.environment == environment)).first()
    return dict(row._mapping) if row else None


def add_data_key(
    conn: Connection, environment: str, wrapped_key: bytes, master_key_id: str, *, at: str, by: str
) -> None:
    conn.execute(
        insert(secret_data_keys).values(
            environment=environment, wrapped_key=wrapped_key, master_key_id=master_key_id, created_at=at, created_by=by
        )
    )


# Secrets ------------------------------------------------------------------------------------------

_SECRET_COLUMNS = (
    secrets.c.id,
    secrets.c.environment,
    secrets.c.team,
    secrets.c.project,
    secrets.c.name,
    secrets.c.current_version,
    secrets.c.ttl_seconds,
    secrets.c.rotate_with,
    secrets.c.created_at,
    secrets.c.created_by,
    secret_versions.c.expires_at,
    secret_versions.c.created_at.label("updated_at"),
    secret_versions.c.created_by.label("updated_by"),
)


def _current_join() -> Any:
    return secrets.join(
        secret_versions,
        (secret_versions.c.secret_id == secrets.c.id) & (secret_versions.c.version == secrets.c.current_version),
    )


def _row(mapping: Any) -> dict[str, Any]:
    row = dict(mapping)
    row["team"] = row["team"] or None
    row["project"] = row["project"] or None
    return row


def _visible_to(project: str, team: str | None) -> Any:
    """PROJECT's own secrets, and its registered TEAM's: never another project's, never another team's."""
    own = secrets.c.project == project
    if team is None:
        return own
    return or_(own, and_(secrets.c.team == team, secrets.c.project == ""))


def find_secrets(
    conn: Connection,
    environment: str,
    name: str | None = None,
    *,
    project: str,
    team: str | None,
    with_ciphertext: bool = False,
) -> list[dict[str, Any]]:
    """Every scope of NAME (or every secret) in ENVIRONMENT that PROJECT (of TEAM) sees, with its current
    version's metadata (and ciphertext)."""
    columns = (*_SECRET_COLUMNS, secret_versions.c.ciphertext) if with_ciphertext else _SECRET_COLUMNS
    query = (
        select(*columns)
        .select_from(_current_join())
        .where(secrets.c.environment == environment, _visible_to(project, team))
    )
    if name is not None:
        query = query.where(secrets.c.name == name)
    return [_row(r) for r in conn.execute(query.order_by(secrets.c.name, secrets.c.team)).mappings()]


def all_secrets(conn: Connection, environments: list[str], *, project: str, team: str | None) -> list[dict[str, Any]]:
    query = (
        select(*_SECRET_COLUMNS)
        .select_from(_current_join())
        .where(secrets.c.environment.in_(environments), _visible_to(project, team))
        .order_by(secrets.c.environment, secrets.c.name, secrets.c.team)
    )
    return [_row(r) for r in conn.execute(query).mappings()]


def get_secret(
    conn: Connection, environment: str, team: str | None, name: str, *, project: str, with_ciphertext: bool = False
) -> dict[str, Any] | None:
    """NAME in exactly one scope: TEAM's when given, else PROJECT's own."""
    columns = (*_SECRET_COLUMNS, secret_versions.c.ciphertext) if with_ciphertext else _SECRET_COLUMNS
    query = (
        select(*columns)
        .select_from(_current_join())
        .where(
            secrets.c.environment == environment,
            secrets.c.team == (team or ""),
            secrets.c.project == ("" if team else project),
            secrets.c.name == name,
        )
    )
    row = conn.execute(query).mappings().first()
    return _row(row) if row else None


def add_secret(
    conn: Connection,
    *,
    environment: str,
    team: str | None,
    project: str | None,
    name: str,
    ttl_seconds: int | None,
    rotate_with: str | None,
    at: str,
    by: str,
) -> int:
    result = conn.execute(
        insert(secrets).values(
            environment=environment,
            team=team or "",
            project=project or "",
            name=name,
            current_version=0,
            ttl_seconds=ttl_seconds,
            rotate_with=rotate_with,
            created_at=at,
            created_by=by,
        )
    )
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def update_secret(
    conn: Connection, secret_id: int, *, current_version: int, ttl_seconds: int | None, rotate_with: str | None
) -> None:
    conn.execute(
        update(secrets)
        .where(secrets.c.id == secret_id)
        .values(current_version=current_version, ttl_seconds=ttl_seconds, rotate_with=rotate_with)
    )


def add_version(
    conn: Connection,
    secret_id: int,
    version: int,
    ciphertext: bytes,
    *,
    expires_at: str | None,
    at: str,
    by: str,
    origin: str,
) -> None:
    conn.execute(
        insert(secret_versions).values(
            secret_id=secret_id,
            version=version,
            ciphertext=ciphertext,
            expires_at=expires_at,
            created_at=at,
            created_by=by,
            origin=origin,
        )
    )


def latest_version_number(conn: Connection, secret_id: int) -> int:
    query = select(secret_versions.c.version).where(secret_versions.c.secret_id == secret_id)
    numbers = [row[0] for row in conn.execute(query)]
    return max(numbers, default=0)


def versions(conn: Connection, secret_id: int) -> list[dict[str, Any]]:
    query = (
        select(
            secret_versions.c.version,
            secret_versions.c.expires_at,
            secret_versions.c.created_at,
            secret_versions.c.created_by,
            secret_versions.c.origin,
        )
        .where(secret_versions.c.secret_id == secret_id)
        .order_by(secret_versions.c.version)
    )
    return [dict(r) for r in conn.execute(query).mappings()]


def delete_secret(conn: Connection, secret_id: int) -> int:
    """Remove the secret and every version's ciphertext; returns how many versions went."""
    gone = conn.execute(delete(secret_versions).where(secret_versions.c.secret_id == secret_id)).rowcount or 0
    conn.execute(delete(secrets).where(secrets.c.id == secret_id))
    return gone


# API keys -----------------------------------------------------------------------------------------


def add_api_key(
    conn: Connection,
    *,
    prefix: str,
    digest: str,
    principal: str,
    environment: str,
    ttl_seconds: int,
    expires_at: str,
    at: str,
    by: str,
) -> None:
    conn.execute(
        insert(api_keys).values(
            prefix=prefix,
            digest=digest,
            principal=principal,
            environment=environment,
            ttl_seconds=ttl_seconds,
            expires_at=expires_at,
            created_at=at,
            created_by=by,
        )
    )


def api_key_by_prefix(conn: Connection, prefix: str) -> dict[str, Any] | None:
    row = conn.execute(select(api_keys).where(api_keys.c.prefix == prefix)).mappings().first()
    return dict(row) if row else None


def prefix_taken(conn: Connection, prefix: str) -> bool:
    return conn.execute(select(api_keys.c.id).where(api_keys.c.prefix == prefix)).first() is not None


def list_api_keys(conn: Connection, environments: list[str], principal: str | None = None) -> list[dict[str, Any]]:
    query = select(api_keys).where(api_keys.c.environment.in_(environments))
    if principal is not None:
        query = query.where(api_keys.c.principal == principal)
    rows = conn.execute(query.order_by(api_keys.c.environment, api_keys.c.created_at, api_keys.c.id)).mappings()
    return [dict(r) for r in rows]


def revoke_api_key(conn: Connection, prefix: str, *, at: str, by: str) -> None:
    conn.execute(update(api_keys).where(api_keys.c.prefix == prefix).values(revoked_at=at, revoked_by=by))


def shorten_api_key(conn: Connection, prefix: str, *, expires_at: str, replaced_by: str) -> None:
    conn.execute(
        update(api_keys).where(api_keys.c.prefix == prefix).values(expires_at=expires_at, replaced_by=replaced_by)
    )


def touch_api_key(conn: Connection, prefix: str, at: str) -> None:
    conn.execute(update(api_keys).where(api_keys.c.prefix == prefix).values(last_used_at=at))


def has_key_material(conn: Connection) -> bool:
    """True once anything in the store depends on the master key (a data key or an API key digest)."""
    if conn.execute(select(secret_data_keys.c.environment).limit(1)).first() is not None:
        return True
    return conn.execute(select(api_keys.c.id).limit(1)).first() is not None


_KEY_COLUMNS = ("prefix", "digest", "principal", "environment", "expires_at", "last_used_at", "revoked_at")


def api_key_for_authentication(database: Database, prefix: str) -> dict[str, Any] | None:
    """The row a presented key is checked against, read straight through the driver.

    Why not through a Connection like every other read: this runs on every authenticated
    request of the server, and SQLAlchemy's connection and transaction handling costs
    ~100 µs here against ~10 µs for the same indexed SELECT on the pooled DBAPI connection.
    One statement, read-only, so it needs no transaction of its own.
    """
    mark = "?" if database.engine.dialect.paramstyle == "qmark" else "%s"
    raw = database.engine.raw_connection()
    try:
        cursor = raw.cursor()
        try:
            cursor.execute(f"SELECT {', '.join(_KEY_COLUMNS)} FROM api_keys WHERE prefix = {mark}", (prefix,))
            row = cursor.fetchone()
        finally:
            cursor.close()
    finally:
        raw.close()
    return dict(zip(_KEY_COLUMNS, row, strict=True)) if row is not None else None
