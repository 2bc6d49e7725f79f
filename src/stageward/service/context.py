"""Who acts, in which project, against which store, at what time: everything a verb needs."""

from __future__ import annotations

import getpass
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stageward.errors import BadInput, NotFound, ProjectFileError
from stageward.project.loader import ProjectFile, find_project_file, load_project
from stageward.service.clock import Clock, SystemClock

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from stageward.access.decide import Target
    from stageward.policy.document import PolicyDocument
    from stageward.project.model import Environment
    from stageward.store.blobs import BlobStore
    from stageward.store.db.engine import Database


def local_principal(environ: Mapping[str, str]) -> str:
    """Local mode trusts the machine: STAGEWARD_USER, else the OS user; either must be a user or spn: name."""
    from stageward.access.principals import principal_kind

    chosen = environ.get("STAGEWARD_USER")
    source = "STAGEWARD_USER" if chosen else "the OS user"
    name = chosen or getpass.getuser()
    try:
        kind = principal_kind(name)
    except BadInput:
        kind = None
    if kind not in ("user", "service"):
        raise BadInput(
            f"{source} {name!r} is not a principal that can act: expected a user name (alice) or spn:NAME",
            hint="set STAGEWARD_USER to your user name, in lower case",
        )
    return name


def default_store_url(project: ProjectFile) -> str:
    return f"sqlite:///{project.root / '.stageward' / 'stageward.db'}"


@dataclass
class Context:
    project: ProjectFile
    principal: str
    store_url: str
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    clock: Clock = field(default_factory=SystemClock)
    token_bytes: Callable[[int], bytes] = secrets.token_bytes
    # Set when the caller authenticated with an API key: the key acts in this environment only,
    # whatever roles its principal holds elsewhere (SPEC §2).
    bound_environment: str | None = None
    # The public prefix of that key, recorded with every denial it meets (never the key itself).
    api_key_prefix: str | None = None
    # False on the server: `${env:}` and <env_prefix> variables belong to the process that uses the config
    # (a run, the SDK, the local CLI), never to the server's own environment, so they are shown as written.
    process_environment: bool = True
    _database: Database | None = field(default=None, repr=False)
    _quick: Any = field(default=None, repr=False)
    _quick_checked: bool = field(default=False, repr=False)
    _blob_stores: dict[str, BlobStore] = field(default_factory=dict, repr=False)
    # One line each for the person at the terminal: a policy applied on the fly, a working copy that differs.
    notices: list[str] = field(default_factory=list)
    quiet_first_apply: bool = False  # set when this context created the store: its first apply is no news
    # The policy applied to the store for this project (None: not registered yet), and the project's team there.
    _policy: PolicyDocument | None = field(default=None, repr=False)
    _policy_digest: str | None = field(default=None, repr=False)
    _policy_loaded: bool = field(default=False, repr=False)
    _project_team: str | None = field(default=None, repr=False)

    @property
    def database(self) -> Database:
        if self._database is None:
            from stageward.service.bootstrap import open_project_store

            self._database = open_project_store(self)
            if not self._policy_loaded:
                from stageward.service.policy_sync import sync_working_copy

                sync_working_copy(self)
        return self._database

    # -- the applied policy ---------------------------------------------------------------------------

    @property
    def policy(self) -> PolicyDocument | None:
        """The policy the store enforces for this project; the working copy is only a proposal (SPEC §12)."""
        if not self._policy_loaded:
            self._load_policy()
        return self._policy

    def _load_policy(self) -> None:
        from stageward.policy.document import document_of

        working = document_of(self.project.spec)
        quick = self.quick_reader()
        if quick is not None:
            registered = quick.project(self.project.spec.project)
            if registered is not None and quick.policy_digest(self.project.spec.project) == working.digest():
                self.use_policy(working, working.digest(), team=registered[0])
                from stageward.service.quick_config import remember

                remember(self, working.digest())  # the next cold `config show` need not validate it again
                return
        self.database  # noqa: B018 - opening the store syncs the working copy with the applied policy

    def use_policy(self, document: PolicyDocument | None, digest: str | None, *, team: str | None) -> None:
        self._policy, self._policy_digest, self._project_team = document, digest, team
        self._policy_loaded = True

    def refresh_policy(self, conn: Connection) -> None:
        """Inside a write transaction: enforce the policy applied now, not the one read when this context opened."""
        from stageward.store.db import policy_repo

        found = policy_repo.current_digest(conn, self.project.spec.project)
        if found is None or found[1] == self._policy_digest:
            return
        row = policy_repo.current(conn, self.project.spec.project)
        project = policy_repo.get_project(conn, self.project.spec.project)
        assert row is not None
        from stageward.policy.document import parse_document

        document = parse_document(row.document, where=f"policy v{row.version} of {self.project.spec.project}")
        self.use_policy(document, row.digest, team=project.team if project else None)

    @property
    def environments(self) -> dict[str, Environment]:
        """The environments of the applied policy; empty before the project's first apply."""
        policy = self.policy
        return dict(policy.environments) if policy is not None else {}

    def target(self) -> Target:
        """This project and the team the store has it registered to: what narrowed bindings are matched against."""
        from stageward.access.decide import Target

        if not self._policy_loaded:
            self._load_policy()
        return Target(self.project.spec.project, self._project_team)

    def quick_reader(self) -> Any:
        """A stdlib reader of bindings for a ready SQLite store (see store/db/quick_sqlite.py), else None."""
        if not self._quick_checked:
            self._quick_checked = True
            if self._database is None and self.store_url.startswith("sqlite:///"):
                from stageward.service.bootstrap import open_quick_reader

                self._quick = open_quick_reader(self)
        return self._quick

    def environment(self, name: str) -> Environment:
        """NAME as the applied policy declares it: enforcement never reads the working copy."""
        policy = self.policy
        if policy is None:
            raise NotFound(
                f"project {self.project.spec.project!r} has no policy applied to this store yet",
                hint="someone with access.manage in its environments applies it: stageward policy apply",
            )
        found = policy.environment(name)
        if found is None:
            known = ", ".join(policy.environments)
            in_file = name in self.project.spec.environments
            raise NotFound(
                f"no environment {name!r} in the policy applied for {self.project.spec.project} (known: {known})",
                hint="stageward.yaml declares it, but that change is not applied: stageward policy plan"
                if in_file
                else None,
            )
        return found

    def blob_store(self, environment: str | None = None) -> BlobStore:
        """The environment's own blob store (`blobs:` in stageward.yaml), else STAGEWARD_BLOBS, else the default."""
        url = None
        if environment is not None:
            url = self.environment(environment).blobs
        url = url or self.environ.get("STAGEWARD_BLOBS") or f"file://{self.project.root / '.stageward' / 'blobs'}"
        if url not in self._blob_stores:
            from stageward.store.blobs import open_blob_store

            self._blob_stores[url] = open_blob_store(url, base=self.project.root)
        return self._blob_stores[url]

    def close(self) -> None:
        if self._quick is not None:
            self._quick.close()
            self._quick = None
        if self._database is not None:
            self._database.dispose()
            self._database = None


def open_context(
    start: Path | None = None,
    *,
    principal: str | None = None,
    environ: Mapping[str, str] | None = None,
    clock: Clock | None = None,
) -> Context:
    env = dict(os.environ if environ is None else environ)
    project_path = find_project_file(start)
    project = load_project(project_path)
    store_url = env.get("STAGEWARD_STORE") or default_store_url(project)
    if not store_url.strip():
        raise ProjectFileError("STAGEWARD_STORE is set but empty")
    from stageward.service.key_login import log_in, presented_key

    key = presented_key(env)
    if key is not None:
        # The key decides who acts and where; STAGEWARD_USER and the OS user play no part.
        keyed = log_in(
            Context(project=project, principal="", store_url=store_url, environ=env, clock=clock or SystemClock()), key
        )
        if principal is not None and principal != keyed.principal:
            keyed.close()
            raise BadInput(f"STAGEWARD_API_KEY acts as {keyed.principal}, not as {principal}")
        return keyed
    return Context(
        project=project,
        principal=principal or local_principal(env),
        store_url=store_url,
        environ=env,
        clock=clock or SystemClock(),
    )
