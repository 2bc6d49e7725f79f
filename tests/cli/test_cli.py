"""The CLI as a user meets it: exit codes, one-or-two-line errors on stderr, --json, init and demo."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

STAGEWARD = str(Path(sys.executable).parent / "stageward")


def run(*args: str, cwd: Path, user: str = "alice", stdin: str | None = None, **env: str):
    environ = {k: v for k, v in os.environ.items() if not k.startswith("STAGEWARD_")}
    environ.update({"STAGEWARD_USER": user, **env})
    return subprocess.run(
        [STAGEWARD, *args], cwd=cwd, env=environ, capture_output=True, text=True, input=stdin, timeout=60
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    result = run("init", "--project", "lp-crosssell", "--team", "lp", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    # Whoever opens the store first creates it and is admin everywhere: let that be alice.
    assert run("env", "list", cwd=tmp_path).returncode == 0
    return tmp_path


def _error_lines(result) -> list[str]:
    lines = result.stderr.strip().splitlines()
    assert 1 <= len(lines) <= 2, result.stderr
    assert "Traceback" not in result.stderr
    return lines


def test_version_and_help(tmp_path: Path):
    assert run("--version", cwd=tmp_path).stdout.strip() == "stageward 0.1.0"
    helped = run("--help", cwd=tmp_path)
    assert helped.returncode == 0 and "access" in helped.stdout and "audit" in helped.stdout


def test_init_writes_the_layout(project: Path):
    for relative in ("stageward.yaml", "conf/base/main.yaml", "conf/production/main.yaml",
                     ".github/workflows/stageward.yml", ".gitignore"):
        assert (project / relative).is_file(), relative
    assert ".stageward/" in (project / ".gitignore").read_text().splitlines()
    workflow = (project / ".github/workflows/stageward.yml").read_text()
    assert "config check" in workflow and "refs/heads/main" in workflow


def test_init_refuses_to_overwrite(project: Path):
    result = run("init", "--project", "lp-other", cwd=project)
    assert result.returncode == 5
    assert "already exists; refusing to overwrite it" in _error_lines(result)[0]


def test_init_refuses_a_project_without_the_team_prefix(tmp_path: Path):
    result = run("init", "--project", "crosssell", "--team", "lp", cwd=tmp_path)
    assert result.returncode == 2
    assert _error_lines(result) == ["error: --project 'crosssell' must start with team 'lp''s prefix 'lp-'"]
    assert not (tmp_path / "stageward.yaml").exists()


def test_env_list_json_and_table(project: Path):
    rows = json.loads(run("env", "list", "--json", cwd=project).stdout)
    assert [r["name"] for r in rows] == ["sandbox", "development", "staging", "production"]
    assert rows[3]["roles"] == ["admin"]
    table = run("env", "list", cwd=project).stdout
    assert "production" in table and "admin" in table


def test_denial_exit_code_and_message(project: Path):
    result = run("access", "grant", "bob", "admin", "--env", "production", cwd=project, user="bob")
    assert result.returncode == 3
    lines = _error_lines(result)
    assert lines[0] == "error: denied: bob lacks access.manage in production"
    audit = json.loads(run("audit", "list", "--json", "--principal", "bob", cwd=project).stdout)
    assert audit[-1]["outcome"] == "denied"


def test_grant_unknown_role_exit_2(project: Path):
    result = run("access", "grant", "bob", "wizard", "--env", "development", cwd=project)
    assert result.returncode == 2
    assert _error_lines(result)[0].startswith("error: unknown role 'wizard'")


def test_unknown_environment_exit_4(project: Path):
    result = run("env", "show", "prod", cwd=project)
    assert result.returncode == 4
    assert _error_lines(result) == [
        "error: no environment 'prod' in the policy applied for lp-crosssell "
        "(known: sandbox, development, staging, production)"
    ]


def test_outside_a_project_exit_2(tmp_path: Path):
    result = run("env", "list", cwd=tmp_path)
    assert result.returncode == 2
    assert "no stageward.yaml in" in _error_lines(result)[0]


def test_store_is_created_by_its_first_user_only(tmp_path: Path):
    assert run("init", "--project", "lp-x", "--team", "lp", cwd=tmp_path).returncode == 0
    assert not (tmp_path / ".stageward").exists()
    assert run("env", "list", cwd=tmp_path, user="carol").returncode == 0
    rows = json.loads(run("env", "list", "--json", cwd=tmp_path, user="dave").stdout)
    assert rows == []


def test_bad_project_file_exit_2(project: Path):
    path = project / "stageward.yaml"
    path.write_text(path.read_text().replace("mode: copy", "mode: move"))
    result = run("env", "list", cwd=project)
    assert result.returncode == 2
    assert "environments.production.promotion.mode: expected 'copy' or 'retrain', got 'move'" in result.stderr



def test_usage_error_exit_2(project: Path):
    result = run("access", "grant", "bob", cwd=project)
    assert result.returncode == 2
    assert "Missing argument" in result.stderr


def test_corrupt_store_exit_2(project: Path):
    for leftover in (project / ".stageward").glob("stageward.db*"):
        leftover.unlink()
    (project / ".stageward" / "stageward.db").write_bytes(b"garbage" * 1000)
    result = run("env", "list", cwd=project)
    assert result.returncode == 2
    assert "is not a Stageward store" in _error_lines(result)[0]


def test_debug_shows_the_traceback(project: Path):
    result = run("env", "show", "prod", cwd=project, STAGEWARD_DEBUG="1")
    assert result.returncode != 0 and "Traceback" in result.stderr


def test_audit_verify_and_export(project: Path):
    before = len(run("audit", "export", cwd=project).stdout.strip().splitlines())
    assert run("access", "grant", "bob", "viewer", "--env", "staging", cwd=project).returncode == 0
    verified = run("audit", "verify", cwd=project)
    assert verified.returncode == 0 and f"audit chain intact: {before + 1} entries" in verified.stdout
    lines = run("audit", "export", cwd=project).stdout.strip().splitlines()
    assert [json.loads(line)["sequence"] for line in lines] == list(range(1, before + 2))
    assert json.loads(lines[-1])["action"] == "access.grant"


def test_team_commands(project: Path):
    assert run("team", "create", "lp", "--prefix", "lp-", cwd=project).returncode == 0
    assert run("team", "add-member", "lp", "bob", cwd=project).returncode == 0
    teams = json.loads(run("team", "list", "--json", cwd=project).stdout)
    assert teams[0]["members"] == ["bob"]
    again = run("team", "create", "lp", "--prefix", "lp-", cwd=project)
    assert again.returncode == 5 and _error_lines(again) == ["error: team 'lp' already exists"]


def test_remote_url_needs_an_api_key_and_a_reachable_server(project: Path):
    # STAGEWARD_URL never falls back to the local store: no key is refused, an unreachable server is named.
    no_key = run("env", "list", cwd=project, STAGEWARD_URL="http://127.0.0.1:1")
    assert no_key.returncode == 3
    assert "STAGEWARD_URL is set but STAGEWARD_API_KEY is not" in _error_lines(no_key)[0]
    unreachable = run(
        "env", "list", cwd=project, STAGEWARD_URL="http://127.0.0.1:1", STAGEWARD_API_KEY="sw_development_x"
    )
    assert unreachable.returncode == 2
    assert _error_lines(unreachable)[0] == (
        "error: cannot reach the Stageward server at http://127.0.0.1:1 (ConnectError)"
    )
    not_http = run("env", "list", cwd=project, STAGEWARD_URL="ftp://host", STAGEWARD_API_KEY="k")
    assert not_http.returncode == 2 and "expected http://HOST:PORT" in _error_lines(not_http)[0]


def test_demo_walks_every_step(tmp_path: Path):
    result = run("demo", str(tmp_path / "demo"), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "did what they should" in result.stdout
    titles = [line.strip() for line in result.stdout.splitlines() if line[:4].strip().rstrip(".").isdigit()]
    # The chain is verified last, over every step, the rollback included; not before anything moved.
    assert titles[-1].endswith("stageward audit verify: the hash chain holds over every step above")
    # Then the runs' steps (tests/runs, docs/runs.md): the project in git, a refused run, a run with lineage,
    # then the retrain promotion (docs/promotion.md): to staging as it is, to production retrained.
    assert "rolls @champion back" in titles[-7]
    assert titles[-3] == "25. bob promotes the model he trained in development to staging, as it is"
    assert titles[-2] == (
        "26. bob requests a retrain promotion to production; carol and dave approve; alice runs it"
    )
    assert sum("audit verify" in title or "audit chain" in title for title in titles) == 1
    trained = re.search(r"development/model:1 records it \(commit ([0-9a-f]{12})\)", result.stdout)
    retrained = re.search(
        r"alice executes it: retrain run ([0-9a-f]{12}) in production at commit ([0-9a-f]{12}) registered "
        r"production/model:1 \(auc 0\.855 -> 0\.87\), now @champion",
        result.stdout,
    )
    assert trained and retrained and retrained.group(2) == trained.group(1), result.stdout
    assert "in a git worktree, with production's config and secrets" in result.stdout
    assert "dave may not run in production, so it waits (exit 3)" in result.stdout
    # The last entry the chain holds is the last thing the walk did: the retrain promotion executing.
    assert re.search(r"audit chain intact: \d+ entries, .*\(alice promotion\.execute model@champion\)", result.stdout)


def test_the_demo_says_how_to_explore_its_folder_and_that_works(tmp_path: Path):
    # A user whose shell points at another store, and who is not alice.
    result = run("demo", str(tmp_path / "demo"), cwd=tmp_path, user="zoe", STAGEWARD_STORE="sqlite:///elsewhere.db")
    assert result.returncode == 0, result.stdout + result.stderr
    told = result.stdout.split("Explore the demo project as alice", 1)[1].splitlines()
    commands = [line.strip() for line in told if line.startswith("  ")]
    assert commands[:3] == [
        f"cd {tmp_path / 'demo'}",
        "unset STAGEWARD_STORE",
        "export STAGEWARD_USER=alice",
    ]
    assert len(commands) > 4
    for command in commands[3:]:
        args = command.split()
        assert args[0] == "stageward", command
        done = run(*args[1:], cwd=tmp_path / "demo", user="alice")
        assert done.returncode == 0, (command, done.stderr)
        assert done.stdout.strip() != "nothing to show", command  # alice sees what the walk made
    # As the user the demo ran for, the folder shows nothing: the reason the hint names alice.
    assert run("env", "list", cwd=tmp_path / "demo", user="zoe").stdout.strip() == "nothing to show"


def test_demo_refuses_a_non_empty_folder(tmp_path: Path):
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "keep.txt").write_text("mine")
    result = run("demo", str(tmp_path / "demo"), cwd=tmp_path)
    assert result.returncode == 5 and "is not empty" in result.stderr


@pytest.mark.pg
def test_the_same_commands_on_postgresql(tmp_path: Path, postgres):
    url = postgres.create_database()
    assert run("init", "--project", "lp-x", "--team", "lp", cwd=tmp_path, STAGEWARD_STORE=url).returncode == 0
    granted = run("access", "grant", "bob", "viewer", "--env", "staging", cwd=tmp_path, STAGEWARD_STORE=url)
    assert granted.returncode == 0
    rows = json.loads(run("env", "list", "--json", cwd=tmp_path, user="bob", STAGEWARD_STORE=url).stdout)
    assert [r["name"] for r in rows] == ["staging"]
    assert not (tmp_path / ".stageward").exists()
    denied = run("audit", "list", cwd=tmp_path, user="bob", STAGEWARD_STORE=url)
    assert denied.returncode == 3 and "bob lacks audit.read" in denied.stderr
    # store.create, the first policy.apply, the grant, and bob's denial
    assert "audit chain intact: 4 entries" in run("audit", "verify", cwd=tmp_path, STAGEWARD_STORE=url).stdout


def test_revoking_the_star_binding_from_the_cli(project: Path):
    for how in (("--env", "*"), ("--all-environments",)):
        refused = run("access", "revoke", "alice", "admin", *how, cwd=project)
        assert refused.returncode == 5, refused.stderr
        assert _error_lines(refused) == [
            "error: alice's admin binding in every environment is the last admin of every environment; "
            "nothing was revoked",
            "  hint: grant admin there to someone else first: stageward access grant NAME admin --all-environments",
        ]
    granted = run("access", "grant", "bob", "admin", "--all-environments", cwd=project)
    assert granted.returncode == 0 and granted.stdout.strip() == "granted admin in every environment to bob"
    revoked = run("access", "revoke", "alice", "admin", "--env", "*", cwd=project, user="bob")
    assert revoked.returncode == 0 and revoked.stdout.strip() == "revoked admin in every environment from alice"
    listed = json.loads(run("access", "list", "--json", cwd=project, user="bob").stdout)
    assert [(b["principal"], b["environment"]) for b in listed if b["role"] == "admin"] == [("bob", "*")]
    missing = run("access", "revoke", "bob", "admin", cwd=project, user="bob")
    assert missing.returncode == 2
    assert _error_lines(missing)[0] == (
        "error: name the binding's environment: --env ENV, or --all-environments for a '*' binding"
    )
