"""The master key and the keyring derived from it: where the key file lives, and the store's record of which
key encrypted it (store meta `secrets.master_key_id`), checked before anything is decrypted or written.

Secrets (service/secrets.py), API keys (service/keys.py) and the keyed audit chain (service/chain_key.py)
all take their keys from here.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from stageward.secrets.envelope import (
    Keyring,
    MasterKeyError,
    create_key_file,
    parse_master_key,
    read_key_file,
)
from stageward.store.db import access_repo, secrets_repo
from stageward.store.db.engine import sqlite_path

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from stageward.service.context import Context

MASTER_KEY_ID = "secrets.master_key_id"
LEGACY_KEY_FILE = "master.key"  # beside the SQLite database, where stores made before the key moved keep it


def master_key_file(ctx: Context) -> Path:
    """Where the master key file lives when STAGEWARD_MASTER_KEY is not set.

    STAGEWARD_MASTER_KEY_FILE if set; else a file per store under the user's configuration
    folder ($XDG_CONFIG_HOME or ~/.config)/stageward/master-<hash>.key, named by the store's
    identity (a SQLite database's absolute path; any other store's URL, password removed):
    two stores never share a key by accident, and a copy of the store's folder does not
    carry the key that opens it. A SQLite store made before the key moved keeps its
    `master.key` beside the database, and that file is used while the new place is empty.
    """
    configured = ctx.environ.get("STAGEWARD_MASTER_KEY_FILE")
    if configured:
        return Path(configured).expanduser()
    database_file = sqlite_path(ctx.store_url)
    if database_file is not None:
        identity = f"sqlite:{database_file.expanduser().resolve()}"
    else:
        from sqlalchemy.engine import make_url

        try:
            identity = make_url(ctx.store_url).render_as_string(hide_password=True)
        except Exception:  # an unparsable URL fails later, when the store opens; any stable name will do
            identity = ctx.store_url
    name = f"master-{hashlib.sha256(identity.encode()).hexdigest()[:16]}.key"
    default = _config_home(ctx.environ) / "stageward" / name
    if database_file is not None and not default.exists():
        legacy = database_file.expanduser().resolve().parent / LEGACY_KEY_FILE
        if legacy.exists():
            return legacy
    return default


def _config_home(environ: Mapping[str, str]) -> Path:
    """The user's configuration folder, from ENVIRON; one that names neither variable (a context made with a
    bare environment) belongs to this process's user, whose folder the process environment names."""
    if environ.get("XDG_CONFIG_HOME"):
        return Path(environ["XDG_CONFIG_HOME"])
    if environ.get("HOME"):
        return Path(environ["HOME"]) / ".config"
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")


def master_key_notice(project_root: Path, environ: Mapping[str, str]) -> tuple[str, str]:
    """(where, one line for `init`): where the project's store will take its master key from."""
    from stageward.project.loader import PROJECT_FILE, load_project
    from stageward.service.context import Context, default_store_url

    if "STAGEWARD_MASTER_KEY" in environ:
        return "STAGEWARD_MASTER_KEY", (
            "master key: taken from STAGEWARD_MASTER_KEY; keep a backup of it apart from the store, never commit it"
        )
    project = load_project(project_root / PROJECT_FILE)
    ctx = Context(
        project=project,
        principal="nobody",  # only the store URL and the environment are read
        store_url=environ.get("STAGEWARD_STORE") or default_store_url(project),
        environ=environ,
    )
    where = str(master_key_file(ctx))
    return where, f"master key: {where} (made on first use); back it up apart from the store, never commit it"


def load_keyring(ctx: Context, conn: Connection, *, create: bool) -> Keyring | None:
    """The keys derived from the master key; None when there is none yet and CREATE is false.

    A key that does not match the one the store was encrypted with is refused before
    anything is decrypted or written, and a missing key is never silently replaced by a
    new one once the store holds anything encrypted with the old.
    """
    expected = access_repo.get_meta(conn, MASTER_KEY_ID)
    if "STAGEWARD_MASTER_KEY" in ctx.environ:
        source = "STAGEWARD_MASTER_KEY"
        master = parse_master_key(ctx.environ["STAGEWARD_MASTER_KEY"], source=source)
    else:
        path = master_key_file(ctx)
        source = f"master key file {path}"
        if path.exists():
            master = read_key_file(path)
        elif expected is not None or secrets_repo.has_key_material(conn):
            raise MasterKeyError(
                f"no master key: this store's secrets and API keys were encrypted with master key "
                f"{expected or '(unknown id)'}, but STAGEWARD_MASTER_KEY is not set and {path} does not exist",
                hint="set STAGEWARD_MASTER_KEY or STAGEWARD_MASTER_KEY_FILE, or restore the key file from its backup",
            )
        elif not create:
            return None
        else:
            master = create_key_file(path)
    keyring = Keyring.from_master(master)
    if expected is not None and expected != keyring.key_id:
        raise MasterKeyError(
            f"wrong master key: {source} has key id {keyring.key_id}, but this store was encrypted "
            f"with key id {expected}",
            hint="use the master key this store was created with; nothing was changed",
        )
    if expected is None and create:
        access_repo.set_meta(conn, MASTER_KEY_ID, keyring.key_id)
    return keyring
