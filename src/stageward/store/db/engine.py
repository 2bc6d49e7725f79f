"""Opening the database by URL, the one transaction scope, and schema checks on open.

Writers are serialized: every write transaction takes the store's writer lock
first (SQLite: BEGIN IMMEDIATE; PostgreSQL: a transaction-scoped advisory lock).
The audit chain needs a total order of appends, and every state change appends,
so one writer at a time is the simplest design that is correct on both engines;
a control plane's write rate is far below what that allows.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import URL, Connection, Engine, create_engine, event, text
from sqlalchemy.exc import (
    ArgumentError,
    DatabaseError,
    IntegrityError,
    NoSuchModuleError,
    OperationalError,
    ProgrammingError,
)

from stageward.errors import Conflict, StoreError
from stageward.private_paths import create_private_file, make_private_folder, open_private_lock_file
from stageward.store.db.migrations import known_revisions

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_WRITER_LOCK_KEY = 7_420_001
_MIGRATION_LOCK_KEY = 7_420_000


class Database:
    """An engine plus the transaction scope every repository call runs in."""

    def __init__(self, engine: Engine, url: str) -> None:
        self.engine = engine
        self.url = url
        self.dialect = engine.dialect.name

    @contextlib.contextmanager
    def transaction(self, *, write: bool) -> Iterator[Connection]:
        """Commit on success, roll back on any exception, and map database errors to domain errors."""
        try:
            with self.engine.connect() as conn:
                conn.info["stageward_write"] = write
                with conn.begin():
                    if write and self.dialect == "postgresql":
                        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _WRITER_LOCK_KEY})
                    yield conn
        except IntegrityError as exc:
            raise Conflict(f"conflicts with the current state of the store ({_first_line(exc)})") from exc
        except OperationalError as exc:
            if "locked" in str(exc.orig):
                raise Conflict("the store stayed busy past its timeout; try again") from exc
            raise

    def dispose(self) -> None:
        self.engine.dispose()


def _first_line(exc: Exception) -> str:
    return str(getattr(exc, "orig", exc)).splitlines()[0]


def sqlite_path(url: str) -> Path | None:
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        return Path(url.removeprefix("sqlite:///"))
    return None


def open_database(url: str) -> Database:
    """Open (creating if needed) the store at URL and bring its schema to head."""
    _check_credentials(url)
    if url.startswith("sqlite") and (url.split("?", 1)[0].endswith((":///:memory:", "://")) or "mode=memory" in url):
        # Each connection would get its own empty database, and all of it vanishes when the command ends:
        # a grant or a secret would be reported done and be gone.
        raise StoreError(
            f"STAGEWARD_STORE: {url} is an in-memory SQLite database, which keeps nothing",
            hint="use sqlite:///PATH, or unset STAGEWARD_STORE for the project's own store",
        )
    try:
        if url.startswith("sqlite"):
            engine = _sqlite_engine(url)
        elif url.startswith(("postgresql", "postgres")):
            engine = create_engine(url, pool_pre_ping=False, pool_size=2, max_overflow=4)
        else:
            raise StoreError(
                f"STAGEWARD_STORE: unsupported URL scheme in {_redact(url)}",
                hint="use sqlite:///PATH or postgresql+psycopg://USER@HOST/DB",
            )
    except (NoSuchModuleError, ArgumentError):
        # postgres://, sqlitex://, postgresql+nodriver://: SQLAlchemy knows no such dialect or driver.
        raise StoreError(
            f"STAGEWARD_STORE: no database driver for {_redact(url).split('://', 1)[0]}:// in {_redact(url)}",
            hint="use sqlite:///PATH or postgresql+psycopg://USER@HOST/DB",
        ) from None
    database = Database(engine, url)
    try:
        ensure_schema(database)
    except BaseException:
        engine.dispose()
        raise
    return database


def _sqlite_engine(url: str) -> Engine:
    path = sqlite_path(url)
    if path is not None:
        try:
            make_private_folder(path.parent)
        except OSError as exc:
            reason = "a file is in the way" if isinstance(exc, FileExistsError | NotADirectoryError) else exc.strerror
            raise StoreError(
                f"cannot create the store {path}: its folder {path.parent} cannot be made ({reason})",
                hint="point STAGEWARD_STORE at sqlite:///PATH in a folder you can write",
            ) from None
        try:
            # Made 0600 before SQLite opens it: SQLite gives its -wal and -shm files the database's mode.
            create_private_file(path)
        except OSError as exc:
            raise StoreError(f"cannot create the store {path} ({exc.strerror or type(exc).__name__})") from None
    # The path as written, not re-parsed as a URL: a '?' or '%' in a folder name is part of the path.
    target = URL.create("sqlite", database=str(path)) if path is not None else url
    engine = create_engine(target, connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        # Take transaction control from the driver so writers can BEGIN IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout = 30000")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.info.get("stageward_write") else "BEGIN")

    return engine


def _check_credentials(url: str) -> None:
    """A second '@' before the host means an unencoded '@' in the password: the driver would then take part
    of the password for the host name and print it in its error. Refuse first, echoing nothing of it."""
    if "://" not in url:
        return
    authority = url.split("://", 1)[1].split("/", 1)[0]
    if authority.count("@") > 1:
        raise StoreError(
            f"STAGEWARD_STORE: more than one '@' before the host in {_redact(url)}",
            hint="percent-encode an '@' in the user or password as %40",
        )


def _redact(url: str) -> str:
    # Never echo a password from a connection URL.
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        credentials, host = rest.rsplit("@", 1)
        user, has_password, _ = credentials.partition(":")
        return f"{scheme}://{user}{':***' if has_password else ''}@{host}"
    return url


def _describe_store(database: Database) -> str:
    path = sqlite_path(database.url)
    return str(path) if path is not None else _redact(database.url)


def current_revision(database: Database) -> str | None:
    """The schema revision of the store, None for an empty store; foreign or corrupt stores are errors."""
    where = _describe_store(database)
    try:
        with database.engine.connect() as conn:
            tables = _table_names(conn)
            if "alembic_version" not in tables:
                if tables:
                    raise StoreError(
                        f"{where} is not a Stageward store: it holds other tables ({', '.join(sorted(tables)[:3])})",
                        hint="point STAGEWARD_STORE at an empty database or a Stageward store",
                    )
                return None
            row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
            conn.rollback()
            return row[0] if row else None
    except DatabaseError as exc:
        if isinstance(exc, OperationalError | ProgrammingError) and "no such table" not in str(exc):
            raise StoreError(f"cannot open the store {where}: {_first_line(exc)}") from None
        raise StoreError(f"{where} is not a Stageward store (corrupt or not a database: {_first_line(exc)})") from None


def _table_names(conn: Connection) -> set[str]:
    if conn.dialect.name == "sqlite":
        rows = conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    else:
        rows = conn.execute(
            text("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")
        ).fetchall()
    return {row[0] for row in rows}


def ensure_schema(database: Database) -> None:
    revisions = known_revisions()
    head = revisions[-1]
    found = current_revision(database)
    if found == head:
        return
    if found is not None and found not in revisions:
        raise StoreError(
            f"{_describe_store(database)} has schema revision {found}, newer than this Stageward "
            f"knows (up to {head})",
            hint="upgrade stageward; an older version must not write to a newer store",
        )
    with _migration_lock(database):
        if current_revision(database) != head:
            _upgrade(database)


@contextlib.contextmanager
def _migration_lock(database: Database) -> Iterator[None]:
    """Only one process migrates; the others wait, then find the store at head."""
    path = sqlite_path(database.url)
    if database.dialect == "sqlite":
        if path is None:
            yield
            return
        descriptor = open_private_lock_file(Path(f"{path}.migrate.lock"))
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            yield
        finally:
            os.close(descriptor)  # releases the lock
        return
    with database.engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})
        conn.commit()
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _MIGRATION_LOCK_KEY})
            conn.commit()


def _upgrade(database: Database) -> None:
    # Imported here: Alembic's command machinery costs ~100 ms and is needed only when the schema moves.
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with database.engine.connect() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
        conn.commit()
    path = sqlite_path(database.url)
    if path is not None and path.exists():
        os.chmod(path, 0o600)
