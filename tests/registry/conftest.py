"""Fixtures of the registry tests: a moto S3 server on loopback (shared with tests/promotion), a bucket."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from tests.registry.support import MotoServer, acquire_shared_server, release_shared_server


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    server = acquire_shared_server()
    yield server
    release_shared_server()


@pytest.fixture
def s3_bucket(moto_server: MotoServer) -> str:
    return moto_server.bucket(f"sw-{uuid.uuid4().hex[:12]}")
