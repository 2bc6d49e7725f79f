"""One server process's hold on the store: the project, the database, and a Context per request.

The process opens the store once (its engine pools connections for every request) and never founds one:
a store is created by its first admin in local mode, so no one becomes admin by reaching a server first.
Each request gets a shallow copy of the base Context acting as its key's principal, bound to the key's
environment; STAGEWARD_USER and the OS user play no part.
"""

from __future__ import annotations

import dataclasses
import os
import threading
import time
from typing import TYPE_CHECKING

from stageward.errors import StoreError

if TYPE_CHECKING:
    from stageward.server.settings import ServerSettings
    from stageward.service.context import Context
    from stageward.service.keys import KeyAuthenticator

# The principal of the base context: it holds no binding, so nothing runs as it.
SERVER_PRINCIPAL = "spn:stageward-server"
# How stale a read's view of the applied policy may be (a write re-reads it inside its transaction anyway).
POLICY_REFRESH_SECONDS = 1.0


@dataclasses.dataclass(frozen=True)
class Caller:
    principal: str
    environment: str
    key_prefix: str


class ServerState:
    def __init__(self, settings: ServerSettings) -> None:
        self.settings = settings
        self.base = _open_base_context(settings)
        self._authenticator: KeyAuthenticator | None = None
        self._policy_lock = threading.Lock()
        self._policy_read_at = time.monotonic()

    @property
    def authenticator(self) -> KeyAuthenticator:
        if self._authenticator is None:
            from stageward.service.keys import KeyAuthenticator

            self._authenticator = KeyAuthenticator(self.base)
        return self._authenticator

    def authenticate(self, presented: str) -> Caller:
        from stageward.secrets.api_keys import key_prefix

        principal, environment = self.authenticator.authenticate(presented)
        return Caller(principal, environment, key_prefix(presented))

    def context_for(self, caller: Caller) -> Context:
        """A Context acting as CALLER, inside CALLER's environment only."""
        self._refresh_policy()
        return dataclasses.replace(
            self.base,
            principal=caller.principal,
            bound_environment=caller.environment,
            api_key_prefix=caller.key_prefix,
            notices=[],
        )

    def acting_context(self) -> Context:
        """The base Context with the applied policy fresh: for the server's own jobs (its scheduler)."""
        self._refresh_policy()
        return self.base

    def _refresh_policy(self) -> None:
        # Another process may apply a new policy; reads see it within POLICY_REFRESH_SECONDS.
        if time.monotonic() - self._policy_read_at < POLICY_REFRESH_SECONDS:
            return
        with self._policy_lock:
            if time.monotonic() - self._policy_read_at < POLICY_REFRESH_SECONDS:
                return
            with self.base.database.transaction(write=False) as conn:
                self.base.refresh_policy(conn)
            self._policy_read_at = time.monotonic()

    def close(self) -> None:
        self.base.close()


def _open_base_context(settings: ServerSettings) -> Context:
    from stageward.project.loader import find_project_file, load_project
    from stageward.service.context import Context, default_store_url
    from stageward.store.db import access_repo, policy_repo
    from stageward.store.db.engine import open_database, sqlite_path

    project = load_project(find_project_file(settings.project_dir))
    environ = dict(os.environ)
    store_url = environ.get("STAGEWARD_STORE") or default_store_url(project)
    database_file = sqlite_path(store_url)
    if database_file is not None and not database_file.exists():
        raise StoreError(
            f"the store {database_file} does not exist yet",
            hint="its first admin creates it in local mode (any stageward command), then starts the server",
        )
    database = open_database(store_url)
    try:
        with database.transaction(write=False) as conn:
            founded = access_repo.get_meta(conn, "created_by") is not None
            row = policy_repo.current(conn, project.spec.project)
            registered = policy_repo.get_project(conn, project.spec.project)
    except BaseException:
        database.dispose()
        raise
    if not founded:
        database.dispose()
        raise StoreError(
            "the store has no admin yet",
            hint="its first admin creates it in local mode (any stageward command), then starts the server",
        )
    ctx = Context(
        project=project,
        principal=SERVER_PRINCIPAL,
        store_url=store_url,
        environ=environ,
        process_environment=False,
        _database=database,
        _quick_checked=True,  # every request reads through the pooled engine
    )
    # The policy held by the store, never the server's working copy (SPEC §12): nothing is applied on the fly.
    from stageward.policy.document import parse_document

    document = parse_document(row.document, where=f"policy v{row.version}") if row is not None else None
    digest = row.digest if row is not None else None
    ctx.use_policy(document, digest, team=registered.team if registered else None)
    return ctx
