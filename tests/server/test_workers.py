"""`--workers 2`: two processes that share nothing but the store, and one /metrics over both."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from tests.server.support import TeamServer, team_server

pytestmark = pytest.mark.shared_config_home


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TeamServer]:
    work = tmp_path_factory.mktemp("workers")
    made = team_server(work / "project", f"sqlite:///{work / 'store' / 'stageward.db'}")
    made.make_key("dev", "bob", "development")
    made.start(workers=2)
    yield made
    made.stop()


def test_two_workers_serve_and_metrics_sum_them(server: TeamServer) -> None:
    # Fresh connections spread over both workers; every answer is the same, from the one store.
    answers = set()
    for _ in range(20):
        with server.http("dev") as dev:
            answers.add(dev.get("/api/v1/envs").text)
    assert len(answers) == 1
    text = httpx.get(f"{server.url}/metrics").text
    found = re.search(r'stageward_http_requests_total\{method="GET",route="/api/v1/envs",status="200"\} (\S+)', text)
    assert found is not None and float(found.group(1)) == 20
