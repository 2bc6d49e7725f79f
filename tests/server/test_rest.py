"""The REST API of a real server process, on SQLite and on PostgreSQL: keys, walls, errors, bounds."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.server.support import TeamServer, raw_request, team_server

SECRET_VALUE = "hunter2-Zq9-never-logged"
SERVER_ONLY_VARIABLE = "SW_SERVER_SIDE_ONLY"
MIB = 1024 * 1024

pytestmark = pytest.mark.shared_config_home


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TeamServer]:
    work = tmp_path_factory.mktemp("rest")
    if request.param == "sqlite":
        store_url = f"sqlite:///{work / 'store' / 'stageward.db'}"
    else:
        store_url = str(request.getfixturevalue("postgres").create_database())
    made = team_server(
        work / "project",
        store_url,
        STAGEWARD_SERVER_BODY_TIMEOUT="1",
        # Variables of the server's own process: `${env:}` and CROSSSELL_ must never read them (SPEC §4).
        **{SERVER_ONLY_VARIABLE: "server-side-value", "CROSSSELL_FROM__SERVER": "server-layer"},
    )
    conf = made.root / "conf" / "development"
    conf.mkdir(parents=True)
    (conf / "app.yaml").write_text(
        f"home: ${{env:{SERVER_ONLY_VARIABLE}}}\ndb:\n  password: ${{secret:db_password}}\n", encoding="utf-8"
    )
    made.make_key("dev", "bob", "development")
    made.make_key("prod", "bob", "production")
    made.make_key("spare", "bob", "development")
    made.make_key("short", "bob", "development", ttl="2s")
    made.start()
    yield made
    made.stop()


def error_of(response: httpx.Response) -> dict[str, str]:
    body = response.json()
    assert set(body) == {"error"}, body
    return dict(body["error"])


# -- who calls -------------------------------------------------------------------------------------------------


def test_healthz_needs_no_key_and_openapi_lists_every_routed_verb(server: TeamServer) -> None:
    from stageward.service.catalogue import load_all

    assert httpx.get(f"{server.url}/healthz").json() == {"status": "ok"}
    document = httpx.get(f"{server.url}/openapi.json").json()
    operations = {op["operationId"] for path in document["paths"].values() for op in path.values()}
    routed = {name for name, spec in load_all().items() if spec.http is not None}
    assert operations == routed
    assert "/api/v1/envs/{env}/models/{ref}" in document["paths"]


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (None, "no API key"),
        ("Bearer", "not 'Bearer <API key>'"),
        ("Basic Ym9iOnB3", "not 'Bearer <API key>'"),
        ("Bearer garbage", "malformed"),
        ("Bearer sw_development_" + "A" * 44, "not valid"),
    ],
)
def test_a_request_without_a_valid_key_is_401(server: TeamServer, header: str | None, message: str) -> None:
    headers = {"Authorization": header} if header else {}
    response = httpx.get(f"{server.url}/api/v1/envs", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    error = error_of(response)
    assert error["code"] == "unauthenticated" and message in error["message"]
    assert "garbage" not in response.text


def test_an_expired_key_is_401_naming_its_prefix(server: TeamServer) -> None:
    # Made with a 2 s lifetime when the module started: wait out what is left of it.
    expires = server.keys["short"]["expires_at"]
    while time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) <= expires[:19]:
        time.sleep(0.2)
    response = server.http("short").get("/api/v1/envs")
    assert response.status_code == 401
    assert f"API key {server.keys['short']['prefix']} expired" in error_of(response)["message"]


def test_a_revoked_key_stops_at_once(server: TeamServer) -> None:
    with server.http("spare") as spare:
        assert spare.get("/api/v1/envs").status_code == 200
        prefix = server.keys["spare"]["prefix"]
        with server.http("dev") as dev:
            assert dev.post(f"/api/v1/keys/{prefix}/revoke").status_code == 200
            again = dev.post(f"/api/v1/keys/{prefix}/revoke")
        assert again.status_code == 409 and error_of(again)["code"] == "conflict"
        response = spare.get("/api/v1/envs")
    assert response.status_code == 401
    assert "revoked" in error_of(response)["message"]


def test_a_development_key_never_acts_in_production_and_the_denial_is_audited_with_its_prefix(
    server: TeamServer,
) -> None:
    # bob is a deployer in production, but this key was made for development.
    with server.http("dev") as dev:
        response = dev.get("/api/v1/envs/production/config")
        listed = dev.get("/api/v1/envs").json()
    assert response.status_code == 403
    error = error_of(response)
    assert error["message"] == "denied: bob lacks config.read in production"
    assert error["hint"] == "this API key acts in development only; use a key made for production"
    assert [env["name"] for env in listed] == ["development"]
    with server.admin() as alice:
        denials = [e for e in alice.call("audit.list", env="production") if e["outcome"] == "denied"]
    assert denials[-1]["principal"] == "bob"
    assert denials[-1]["details"]["api_key"] == server.keys["dev"]["prefix"]
    assert server.keys["dev"]["key"] not in json.dumps(denials)
    # The production key of the same principal does act there.
    with server.http("prod") as prod:
        assert prod.get("/api/v1/envs/production/config").status_code == 200


def test_a_key_sees_the_environments_its_own_promotes_from_and_no_more(server: TeamServer) -> None:
    # production promotes from staging: bob's production key may read staging (to request a promotion from
    # it), by bob's own role there, and do nothing else in it; development is out of its reach.
    with server.http("prod") as prod:
        staging = prod.get("/api/v1/envs/staging")
        staging_config = prod.get("/api/v1/envs/staging/config")
        development = prod.get("/api/v1/envs/development")
    assert staging.status_code == 200
    assert staging_config.status_code == 403 and "acts in production only" in error_of(staging_config)["hint"]
    assert development.status_code == 403
    with server.admin() as alice:
        alice.call("access.grant", principal="carol", role="deployer", env="production")
        carol = alice.call("keys.create", principal="carol", env="production")["key"]
    # carol holds nothing in staging: her production key opens nothing there either.
    response = httpx.get(f"{server.url}/api/v1/envs/staging", headers={"Authorization": f"Bearer {carol}"})
    assert response.status_code == 403


def test_a_key_makes_no_keys(server: TeamServer) -> None:
    with server.http("dev") as dev:
        response = dev.post("/api/v1/envs/development/keys", json={"principal": "bob"})
    assert response.status_code == 403
    assert "keys are made by a person" in error_of(response)["message"]


# -- bad input ---------------------------------------------------------------------------------------------------


def test_unknown_routes_and_methods_answer_in_the_error_shape(server: TeamServer) -> None:
    with server.http("dev") as dev:
        missing = dev.get("/api/v1/nowhere")
        wrong_method = dev.patch("/api/v1/envs")
        not_found = dev.get("/api/v1/envs/development/models/nothing@champion")
        no_such_env = dev.get("/api/v1/envs/nowhere")
    assert missing.status_code == 404 and error_of(missing)["code"] == "not_found"
    assert wrong_method.status_code == 405 and error_of(wrong_method)["code"] == "method_not_allowed"
    assert not_found.status_code == 404 and "nothing" in error_of(not_found)["message"]
    assert no_such_env.status_code == 404 and "no environment 'nowhere'" in error_of(no_such_env)["message"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "the body is not JSON (Expecting property name"),
        (b"[1, 2]", "the body must be a JSON object of arguments, got list"),
        (b'{"name": "x", "files": NaN}', "NaN is not a number JSON allows"),
        (b"[" * 100_000 + b"]" * 100_000, "nests too deeply"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b'{"name": "ranker", "files": "model.bin"}', "model.register: argument files expected list[dict[str, Any]]"),
        (b'{"name": "ranker", "files": [], "progress": "x"}', "unexpected argument(s) progress"),
        (b'{"env": "production", "name": "r", "files": []}', "argument env is in the path"),
    ],
)
def test_bad_json_bodies_are_400_naming_what_is_wrong(server: TeamServer, body: bytes, message: str) -> None:
    with server.http("dev") as dev:
        response = dev.post(
            "/api/v1/envs/development/models", content=body, headers={"Content-Type": "application/json"}
        )
    assert response.status_code == 400, response.text
    assert message in error_of(response)["message"]


def test_query_arguments_are_typed_by_the_verb(server: TeamServer) -> None:
    with server.http("dev") as dev:
        twice = dev.get("/api/v1/envs/development/config", params=[("explain", "true"), ("explain", "false")])
        not_bool = dev.get("/api/v1/envs/development/config", params={"explain": "maybe"})
        listed = dev.get("/api/v1/envs/development/config", params=[("overrides", "+a=1"), ("overrides", "+b=2")])
    assert twice.status_code == 400 and "explain is given 2 times" in error_of(twice)["message"]
    assert not_bool.status_code == 400 and "argument explain expected bool" in error_of(not_bool)["message"]
    assert listed.status_code == 200 and listed.json()["config"]["a"] == 1 and listed.json()["config"]["b"] == 2


def test_json_bodies_are_bounded(server: TeamServer) -> None:
    limit = 8 * MIB
    padded = b"{}" + b" " * (limit - 2)  # exactly at the limit: read and answered
    with server.http("dev") as dev:
        at_limit = dev.post("/api/v1/envs/development/models", content=padded)
        over = dev.post("/api/v1/envs/development/models", content=padded + b" ")
        fifty = dev.post("/api/v1/envs/development/models", content=b'{"a": "' + b"x" * 50 * MIB + b'"}')
    assert at_limit.status_code == 400 and "missing argument(s) name, files" in error_of(at_limit)["message"]
    assert over.status_code == 413 and error_of(over)["code"] == "too_large"
    assert fifty.status_code == 413


def test_a_slow_body_times_out(server: TeamServer) -> None:
    key = server.keys["dev"]["key"].encode()
    head = (
        b"POST /api/v1/envs/development/models HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + key + b"\r\n"
        b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"
    )
    started = time.monotonic()
    answer = raw_request(server, head, [b"{"], pause=0)
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert b"timed_out" in answer
    assert time.monotonic() - started < 8


def test_a_declared_length_over_the_limit_is_refused_before_the_body(server: TeamServer) -> None:
    key = server.keys["dev"]["key"].encode()
    head = (
        b"POST /api/v1/envs/development/models HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + key + b"\r\n"
        b"Content-Type: application/json\r\nContent-Length: " + str(8 * MIB + 1).encode() + b"\r\n\r\n"
    )
    answer = raw_request(server, head, [], pause=0)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]


# -- secrets and the server's own environment ---------------------------------------------------------------------


def test_secret_values_leave_only_through_secrets_get(server: TeamServer) -> None:
    with server.http("prod") as prod:
        assert prod.put(
            "/api/v1/envs/production/secrets/db_password", json={"value": SECRET_VALUE}
        ).status_code == 200
        wrong = prod.put("/api/v1/envs/production/secrets/db_password", json={"value": [SECRET_VALUE]})
        listed = prod.get("/api/v1/secrets", params={"env": "production"})
        history = prod.get("/api/v1/envs/production/secrets/db_password/versions")
        revealed = prod.post("/api/v1/envs/production/secrets/db_password/reveal", json={})
    with server.http("dev") as dev:
        denied = dev.post("/api/v1/envs/production/secrets/db_password/reveal", json={})
    assert wrong.status_code == 400
    for response in (wrong, listed, history, denied):
        assert SECRET_VALUE not in response.text
    assert denied.status_code == 403
    assert SECRET_VALUE in revealed.text
    assert SECRET_VALUE not in server.log


def test_the_server_never_resolves_env_references_or_variables_against_its_own_environment(
    server: TeamServer,
) -> None:
    with server.http("dev") as dev:
        shown = dev.get("/api/v1/envs/development/config").json()
    assert shown["config"]["home"] == f"${{env:{SERVER_ONLY_VARIABLE}}}"
    assert "from" not in shown["config"]
    assert "server-side-value" not in json.dumps(shown)


# -- metrics ------------------------------------------------------------------------------------------------------


def test_metrics_count_requests_by_route_and_denials(server: TeamServer) -> None:
    with server.http("dev") as dev:
        assert dev.get("/api/v1/envs/production").status_code == 403
    text = httpx.get(f"{server.url}/metrics").text
    assert 'stageward_http_requests_total{method="GET",route="/api/v1/envs/{env}",status="403"}' in text
    assert 'stageward_denials_total{verb="env.show"}' in text
    assert "stageward_http_request_seconds_bucket" in text
    assert "/api/v1/envs/production" not in text  # routes by template, never by raw path
