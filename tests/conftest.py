"""Fixtures shared by the whole suite: a project on disk, a pinned clock, stores on SQLite and PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from stageward.client import Client, LocalTransport
from stageward.service.context import Context
from stageward.testing import EXAMPLE_PROJECT, FrozenClock, make_context, write_project


@pytest.fixture(scope="session", autouse=True)
def session_config_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """No test writes into the real ~/.config: master keys made by default land in a temporary folder,
    also for CLI subprocesses (they inherit this environment) and fixtures wider than one test."""
    home = tmp_path_factory.mktemp("xdg-config")
    before = os.environ.get("XDG_CONFIG_HOME")
    os.environ["XDG_CONFIG_HOME"] = str(home)
    yield home
    if before is None:
        os.environ.pop("XDG_CONFIG_HOME", None)
    else:
        os.environ["XDG_CONFIG_HOME"] = before


@pytest.fixture(autouse=True)
def private_config_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest, session_config_home: Path
) -> Path:
    """Each test's own configuration folder, so no two tests share a default master key file; a module whose
    tests share one store (a module-scoped fixture) shares the session's folder, and so the store's key."""
    if request.node.get_closest_marker("shared_config_home") is not None:
        return session_config_home
    home = tmp_path / "xdg-config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    return home


@pytest.fixture(scope="session")
def postgres() -> Iterator[object]:
    from tests.pgserver import PostgresServer

    server = PostgresServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A real S3 protocol server (moto's server mode) on a free loopback port, one per test process.

    Its recorder (off until a test starts it: `MotoServer.recording`) writes to a file of this process's own,
    read before moto is first imported here."""
    from tests.registry.support import MotoServer

    os.environ["MOTO_RECORDER_FILEPATH"] = str(tmp_path_factory.mktemp("moto") / "recording.jsonl")
    server = MotoServer().start()
    os.environ.update(server.environ)  # boto3 here and in CLI subprocesses finds the server
    yield server
    for key in [*server.environ, "MOTO_RECORDER_FILEPATH"]:
        os.environ.pop(key, None)
    server.stop()


@pytest.fixture
def s3_bucket(moto_server: object) -> str:
    """A fresh bucket on the moto server."""
    import uuid

    return str(moto_server.bucket(f"sw-{uuid.uuid4().hex[:12]}"))  # type: ignore[attr-defined]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty store on each engine."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store' / 'stageward.db'}"
    server = request.getfixturevalue("postgres")
    return str(server.create_database())  # type: ignore[attr-defined]


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def project_root(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    write_project(root, EXAMPLE_PROJECT)
    return root


@pytest.fixture
def context_for(
    project_root: Path, store_url: str, clock: FrozenClock, tmp_path: Path
) -> Iterator[Callable[[str], Context]]:
    """context_for("bob") -> a Context acting as bob on the shared store; alice creates the store."""
    made: list[Context] = []
    # The master key stays in the test's folder, whatever the store (PostgreSQL's default is ~/.config).
    environ = {"STAGEWARD_MASTER_KEY_FILE": str(tmp_path / "keys" / "master.key")}

    def make(principal: str = "alice") -> Context:
        ctx = make_context(project_root, principal=principal, store_url=store_url, clock=clock, environ=environ)
        made.append(ctx)
        return ctx

    assert make("alice").database is not None  # alice opens first: she becomes admin of every environment
    yield make
    for ctx in made:
        ctx.close()


@pytest.fixture
def client_for(
    context_for: Callable[[str], Context],
) -> Callable[[str], Client]:
    """client_for("bob") -> a Client acting as bob, in process, on the shared store."""

    def make(principal: str = "alice") -> Client:
        return Client(LocalTransport(context=context_for(principal)))

    return make
