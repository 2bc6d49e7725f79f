"""The web UI in Debian's chromium against a real `stageward server`: sign in, the matrix, a live approval,
what a viewer may not do, inert scripts, accessibility; screenshots of each page under test-artifacts/."""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.server.support import TeamServer
from tests.web.scenario import SECRET, XSS, act, build

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TeamServer]:
    server = build(tmp_path_factory.mktemp("web") / "project").start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if shutil.which(CHROMIUM) is None:
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (scripts/system-deps.sh does, as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


def sign_in(browser: Any, site: TeamServer, *keys: str) -> Any:
    """A fresh browser context (its own cookie jar) signed in with the named KEYS."""
    context = browser.new_context(base_url=site.url)
    context.set_default_timeout(5000)
    page = context.new_page()
    for name in keys:
        page.goto("/login")
        page.fill("#key", str(site.keys[name]["key"]))
        page.click("form.card button[type=submit]")
        page.wait_for_url(re.compile(r"/$"))
    return page


def shoot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def alias_cell(page: Any, ref: str) -> Any:
    return page.locator(f'[data-alias="{ref}"]')


def test_approver_approves_as_second_and_the_matrix_moves_without_reload(browser: Any, site: TeamServer) -> None:
    promotion = site.keys["fraud_promotion"]["id"]
    matrix = sign_in(browser, site, "carol_development", "carol_staging", "carol_production")
    assert matrix.locator("table.matrix thead th").all_inner_texts() == [
        "Asset", "development", "staging", "production"
    ]
    assert alias_cell(matrix, "staging/fraud@champion").inner_text().startswith("@champion → 1")
    assert alias_cell(matrix, "production/fraud@champion").count() == 0
    shoot(matrix, "matrix")
    matrix.evaluate("window.stillTheSamePage = true")

    queue = matrix.context.new_page()
    queue.goto("/promotions")
    card = queue.locator(f"#promotion-{promotion}")
    assert "Approvals: 0 of 2" in card.inner_text()
    # Dave approves elsewhere (REST); the open queue shows it without a reload, within a second or so.
    with site.http("dave_production") as dave:
        started = time.monotonic()
        dave.post(f"/api/v1/promotions/{promotion}/approve", json={"comment": "looks right"}).raise_for_status()
    queue.locator(f"#promotion-{promotion} .approvals", has_text="1 of 2 (dave)").wait_for(timeout=5000)
    print(f"queue reflected an approval made elsewhere in {time.monotonic() - started:.2f} s")
    shoot(queue, "queue")

    queue.fill(f"#comment-{promotion}", "second pair of eyes")
    queue.click(f"#promotion-{promotion} button.approve")
    queue.wait_for_url(re.compile(r"/promotions$"))
    assert queue.locator(f"#promotion-{promotion}").count() == 0  # executed: no longer open

    moved = alias_cell(matrix, "production/fraud@champion")
    moved.wait_for(timeout=5000)
    assert moved.inner_text().startswith("@champion → 1")
    assert matrix.evaluate("window.stillTheSamePage") is True
    shoot(matrix, "matrix-after-approval")
    matrix.context.close()


def test_asset_page_draws_lineage_across_environments(browser: Any, site: TeamServer) -> None:
    page = sign_in(browser, site, "carol_development", "carol_staging", "carol_production")
    page.goto("/assets/staging/fraud")
    labels = page.locator("svg.lineage .node .label").all_text_contents()
    assert labels == ["staging:1", "development:1", "run", "commit"]
    assert page.locator("svg.lineage line.edge").count() == 3
    shoot(page, "asset")
    page.goto("/assets/staging/fraud?as_of=2000-01-01")
    assert page.locator("td.as-of").all_inner_texts() == ["–"]
    page.context.close()


def test_a_session_with_one_key_sees_one_environment_and_lineage_stops_there(
    browser: Any, site: TeamServer
) -> None:
    page = sign_in(browser, site, "carol_staging")
    assert page.locator("table.matrix thead th").all_inner_texts() == ["Asset", "staging"]
    page.goto("/assets/staging/fraud")
    assert page.locator("svg.lineage .node .label").all_text_contents() == ["staging:1", "development:1"]
    assert "no key for development held" in (page.locator("svg.lineage").text_content() or "")
    page.goto("/assets/production/fraud")
    assert "holds no key for production" in page.locator("main").inner_text()
    page.context.close()


def test_a_viewer_sees_no_approve_button_and_a_forged_post_is_refused(browser: Any, site: TeamServer) -> None:
    promotion = site.keys["churn_promotion"]["id"]
    page = sign_in(browser, site, "vic_production")
    page.goto("/promotions")
    card = page.locator(f"#promotion-{promotion}")
    assert "Approvals: 1 of 2" in card.inner_text()
    assert card.locator("button").count() == 0
    csrf = page.locator("input[name=csrf]").first.get_attribute("value")
    forged = page.request.post(
        f"/promotions/{promotion}/approve", form={"csrf": csrf, "env": "production", "comment": "me too"},
        max_redirects=0,
    )
    assert forged.status == 403
    assert "vic lacks promotions.approve in production" in forged.text()
    no_token = page.request.post(f"/promotions/{promotion}/approve", form={"env": "production"}, max_redirects=0)
    assert no_token.status == 403
    assert "CSRF token" in no_token.text()
    page.reload()
    assert "Approvals: 1 of 2" in page.locator(f"#promotion-{promotion}").inner_text()
    page.context.close()


def test_scripts_in_reasons_tags_comments_and_names_stay_text(browser: Any, site: TeamServer) -> None:
    page = sign_in(browser, site, "carol_development", "carol_production")
    page.goto("/promotions")
    assert XSS in page.locator(f"#promotion-{site.keys['churn_promotion']['id']} .comment").inner_text()
    page.goto("/assets/development/fraud")
    assert f"note={XSS}" in page.locator("span.tag").first.inner_text()
    page.goto("/?name=" + httpx.QueryParams({"n": XSS})["n"])  # reflected in the filter box
    page.goto("/assets/production/" + "%3Cimg%20src%3Dx%20onerror%3Dwindow.pwned%3D1%3E")
    assert "asset name '<img src=x onerror=window.pwned=1>'" in page.locator("main").inner_text()
    for url in ["/promotions", "/assets/development/fraud", "/audit", "/?name=%3Cimg%20src%3Dx%3E"]:
        page.goto(url)
        assert page.evaluate("window.pwned") is None, url
        assert page.locator("main script, main img").count() == 0, url
    page.context.close()


def test_no_serious_or_critical_accessibility_violation_on_any_page(browser: Any, site: TeamServer) -> None:
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    context = browser.new_context(base_url=site.url)
    page = context.new_page()
    page.goto("/login")
    pages = {"login": "/login"}
    found = {}
    results = axe.run(page)
    found["login"] = results.response["violations"]
    shoot(page, "login")
    page = sign_in(browser, site, "carol_development", "carol_staging", "carol_production")
    pages = {"matrix": "/", "asset": "/assets/staging/fraud?as_of=2026-11-25T12:00:00", "promotions": "/promotions",
             "audit": "/audit", "error": "/assets/production/nothing-here", "runs": "/runs", "cost": "/cost",
             "run": f"/runs/development/{site.keys['printed_run']['id']}"}
    for name, url in pages.items():
        page.goto(url)
        found[name] = axe.run(page).response["violations"]
        shoot(page, {"asset": "asset-as-of", "run": "run-log"}.get(name, name))
    serious = {
        name: [(v["id"], v["impact"], v["help"]) for v in violations if v["impact"] in ("serious", "critical")]
        for name, violations in found.items()
    }
    assert serious == {name: [] for name in found}
    page.context.close()
    context.close()


def test_audit_page_shows_entries_and_the_chain_verified(browser: Any, site: TeamServer) -> None:
    page = sign_in(browser, site, "carol_production")
    page.goto("/audit")
    assert page.locator(".chain.ok").inner_text().startswith("Chain verified")
    assert page.locator("table.audit tbody tr").count() > 0
    page.goto("/audit?action=promotion.*")
    actions = page.locator("table.audit tbody tr td:nth-child(4)").all_inner_texts()
    assert actions and all(action.startswith("promotion.") for action in actions)
    page.goto("/audit?since=yesterday")
    assert "--since 'yesterday'" in page.locator("main").inner_text()
    page.context.close()


def test_cookie_is_httponly_strict_and_a_revoked_key_drops_at_once(browser: Any, site: TeamServer) -> None:
    key = site.make_key("carol_staging_short", "carol", "staging")
    page = sign_in(browser, site, "carol_production", "carol_staging_short")
    (cookie,) = page.context.cookies()
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Strict"
    assert key not in cookie["value"] and "sw_" not in cookie["value"]
    assert page.evaluate("document.cookie") == ""
    act(site, "alice", "keys.revoke", prefix=site.keys["carol_staging_short"]["prefix"])
    page.goto("/")
    assert page.locator("table.matrix thead th").all_inner_texts() == ["Asset", "production"]
    assert "no longer counts" in page.locator(".notice").inner_text()
    page.click("text=Sign out")
    page.wait_for_url(re.compile(r"/login$"))
    (fresh,) = page.context.cookies()  # the sign-in page starts a new, empty session
    assert fresh["value"] != cookie["value"]
    page.goto("/")
    assert page.url.endswith("/login")
    page.context.close()


def test_runs_list_and_a_log_with_its_secret_masked(browser: Any, site: TeamServer) -> None:
    run_id = site.keys["printed_run"]["id"]
    page = sign_in(browser, site, "carol_development", "carol_production")
    page.goto("/runs")
    row = page.locator("table.runs tbody tr", has_text=run_id)
    assert "succeeded" in row.inner_text()
    shoot(page, "runs")
    row.locator("a").click()
    log = page.locator("#run-log").inner_text()
    assert '"password": "***"' in log and SECRET not in log
    assert XSS in log and page.evaluate("window.pwned") is None
    shoot(page, "run")
    page.context.close()


def test_a_running_runs_log_grows_without_reload(browser: Any, site: TeamServer) -> None:
    import subprocess
    import sys

    from tests.server.support import STAGEWARD, base_environ

    script = "import time; print('first line', flush=True); time.sleep(2.5); print('second line', flush=True)"
    # bob at his own desk (local mode, the same store): the run goes while carol watches it in the browser.
    launcher = subprocess.Popen(
        [STAGEWARD, "run", "--env", "development", "--", sys.executable, "-c", script],
        cwd=site.root, env=base_environ({**site.environ(), "STAGEWARD_USER": "bob"}),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        page = sign_in(browser, site, "carol_development")
        deadline = time.monotonic() + 15
        link = page.locator("table.runs tbody a")
        while time.monotonic() < deadline:
            page.goto("/runs?status=running")
            if link.count():
                break
            time.sleep(0.2)
        link.first.click()
        page.locator("#run-log", has_text="first line").wait_for()
        page.evaluate("window.stillTheSamePage = true")
        page.locator("#run-log", has_text="second line").wait_for(timeout=10000)
        page.locator("#run-status", has_text="succeeded").wait_for(timeout=10000)
        assert page.evaluate("window.stillTheSamePage") is True
    finally:
        _, errors = launcher.communicate(timeout=30)
    assert launcher.returncode == 0, errors
    page.context.close()


def test_cost_charts_by_environment_and_team(browser: Any, site: TeamServer) -> None:
    page = sign_in(browser, site, "carol_development", "carol_production")
    page.goto("/cost")
    assert page.locator("#chart-env + svg .label").all_text_contents() == ["development"]
    assert page.locator("#chart-team + svg .label").all_text_contents() == ["lp"]
    shoot(page, "cost")
    page.goto("/cost?since=2026-12-01&until=2026-11-01")
    assert "is not before --until" in page.locator("main").inner_text()
    page.context.close()


def test_pages_carry_a_strict_content_security_policy(site: TeamServer) -> None:
    with httpx.Client(base_url=site.url) as client:
        for url in ["/login", "/static/app.js"]:
            headers = client.get(url).headers
            csp = headers["content-security-policy"]
            assert "unsafe-inline" not in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
            assert headers["x-frame-options"] == "DENY"
        assert client.get("/", follow_redirects=False).headers["location"] == "/login"
        assert client.get("/ui/events").status_code == 401
        assert client.get("/static/../server.log").status_code == 404


def _signed_in_client(site: TeamServer, *keys: str) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=site.url, follow_redirects=False, timeout=30)
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
    assert token is not None
    for name in keys:
        assert client.post("/login", data={"csrf": token.group(1), "key": site.keys[name]["key"]}).status_code == 303
    return client, token.group(1)


def test_sign_in_refuses_bad_keys_and_keys_without_a_role_there(site: TeamServer) -> None:
    # mallory's key is genuine, but the role it was made under was taken away since.
    act(site, "alice", "access.grant", principal="mallory", role="viewer", env="staging")
    site.make_key("mallory_staging", "mallory", "staging")
    act(site, "alice", "access.revoke", principal="mallory", role="viewer", env="staging")
    client, csrf = _signed_in_client(site)
    with closing(client):
        for key, status, message in [
            ("", 400, "paste an API key"),
            ("sw_staging_" + "A" * 44, 401, "the API key is not valid"),
            ("not a key", 401, "the API key is malformed"),
            (site.keys["mallory_staging"]["key"], 403, "mallory lacks env.read in staging"),
        ]:
            answer = client.post("/login", data={"csrf": csrf, "key": key})
            assert (answer.status_code, message in answer.text) == (status, True), (key[:12], answer.text[-600:])
            assert "sw_staging_" not in answer.text  # a key is never echoed
        assert client.get("/").headers["location"] == "/login"  # nothing was added


def test_forms_are_bounded_single_valued_and_need_the_session_token(site: TeamServer) -> None:
    client, csrf = _signed_in_client(site, "carol_production")
    promotion = site.keys["churn_promotion"]["id"]
    with closing(client):
        big = client.post("/session/drop", data={"csrf": csrf, "env": "x" * 17_000})
        assert big.status_code == 413 and "larger than 16384 bytes" in big.text
        just_under = client.post("/session/drop", data={"csrf": csrf, "env": "x" * 16_000})
        assert just_under.status_code == 404 and "holds no key for" in just_under.text
        twice = client.post("/session/drop", content=f"csrf={csrf}&env=a&env=b",
                            headers={"content-type": "application/x-www-form-urlencoded"})
        assert twice.status_code == 400 and "form field env is given more than once" in twice.text
        json_body = client.post("/logout", json={"csrf": csrf})
        assert json_body.status_code == 400 and "expected a form" in json_body.text
        other_session, other_csrf = _signed_in_client(site, "dave_production")
        with closing(other_session):
            stolen = client.post(f"/promotions/{promotion}/approve", data={"csrf": other_csrf, "env": "production"})
        assert stolen.status_code == 403 and "CSRF token" in stolen.text
        wrong_env = client.post(f"/promotions/{promotion}/approve", data={"csrf": csrf, "env": "staging"})
        assert wrong_env.status_code == 401 and "holds no key for staging" in wrong_env.text
        garbage_id = client.post("/promotions/1e3/approve", data={"csrf": csrf, "env": "production"})
        assert garbage_id.status_code == 400 and "expected a whole number" in garbage_id.text
        assert client.get("/assets/staging/fraud").status_code == 401  # no staging key: no staging
        assert client.get("/assets/production/fraud?version=x1").status_code == 400


def test_the_live_stream_announces_a_change_by_environment_only(site: TeamServer) -> None:
    client, _ = _signed_in_client(site, "carol_development")
    with closing(client):
        page = client.get("/")
        cursor = re.search(r'data-cursor="([^"]*)"', page.text)
        assert cursor is not None and cursor.group(1).startswith("development:")
        with client.stream("GET", "/ui/events", params={"cursor": cursor.group(1)}) as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            act(site, "alice", "model.alias_set", env="development", name="churn", version=1, alias="shadow")
            lines: list[str] = []
            for line in stream.iter_lines():
                lines.append(line)
                if line.startswith("data: "):
                    break
        assert lines[-1] == 'data: {"environments":{"development":["alias"]}}'
        event_id = next(line for line in lines if line.startswith("id: "))[4:]
        assert event_id.startswith("development:") and event_id != cursor.group(1)
        # Resuming from that id (as a browser does with Last-Event-ID) repeats nothing.
        with client.stream("GET", "/ui/events", headers={"Last-Event-ID": event_id}) as again:
            first = next(again.iter_lines())
        assert first == "retry: 1000"


def test_a_server_without_its_master_key_still_starts_and_the_ui_says_why(site: TeamServer) -> None:
    keyless = TeamServer(root=site.root, store_url=site.store_url, extra={"STAGEWARD_MASTER_KEY_FILE": "/nonexistent"})
    keyless.start()
    try:
        with httpx.Client(base_url=keyless.url) as client:
            assert client.get("/healthz").status_code == 200
            page = client.get("/login")
            assert page.status_code == 400 and "no master key" in page.text
            assert "content-security-policy" in page.headers
    finally:
        keyless.stop()
