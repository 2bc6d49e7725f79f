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
    _database: Database | None = field(default=None, repr=False)
    _quick: Any = field(default=None, repr=False)
    _quick_checked: bool = field(default=False, repr=False)
    _blob_stores: dict[str, BlobStore] = field(default_factory=dict, repr=False)

    @property
    def database(self) -> Database:
        if self._database is None:
            from stageward.service.bootstrap import open_project_store

            self._database = open_project_store(self)
        return self._database

    def quick_reader(self) -> Any:
        """A stdlib reader of bindings for a ready SQLite store (see store/db/quick_sqlite.py), else None."""
        if not self._quick_checked:
            self._quick_checked = True
            if self._database is None and self.store_url.startswith("sqlite:///"):
                from stageward.service.bootstrap import open_quick_reader

                self._quick = open_quick_reader(self)
        return self._quick

    def environment(self, name: str) -> Environment:
        try:
            return self.project.spec.environments[name]
        except KeyError:
            known = ", ".join(self.project.spec.environments)
            raise NotFound(f"no environment {name!r} in {self.project.path.name} (known: {known})") from None

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
