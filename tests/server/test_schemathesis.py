"""schemathesis over /openapi.json with a valid key: no 500 for any input, every response as its schema says."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.server.support import TeamServer, team_server

pytestmark = pytest.mark.shared_config_home


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TeamServer]:
    work = tmp_path_factory.mktemp("schemathesis")
    made = team_server(work / "project", f"sqlite:///{work / 'store' / 'stageward.db'}")
    made.make_key("alice", "alice", "development")
    made.start()
    yield made
    made.stop()


def test_every_route_answers_as_documented(server: TeamServer) -> None:
    # Driven by hand rather than through schemathesis' pytest plugin, which does not run under pytest 9.
    api = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
    headers = {"Authorization": f"Bearer {server.keys['alice']['key']}"}
    checks = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
    operations = [result.ok() for result in api.get_all_operations()]
    assert len(operations) > 50

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def answers_as_documented(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=checks)

        answers_as_documented()
    # Every operation was called: the server counted the requests.
    counted = httpx.get(f"{server.url}/metrics").text
    served = sum(
        float(line.rsplit(" ", 1)[1])
        for line in counted.splitlines()
        if line.startswith("stageward_http_requests_total{") and "/api/v1/" in line
    )
    assert served >= len(operations) * 2
