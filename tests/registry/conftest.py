"""Fixtures of the registry tests: a moto S3 server on loopback, its environment variables, projects."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from tests.registry.support import MotoServer


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    server = MotoServer().start()
    saved = {k: os.environ.get(k) for k in server.environ}
    os.environ.update(server.environ)  # boto3 in this process and in CLI subprocesses finds the server
    yield server
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    server.stop()


@pytest.fixture
def s3_bucket(moto_server: MotoServer) -> str:
    return moto_server.bucket(f"sw-{uuid.uuid4().hex[:12]}")
