"""Commands checked against SPEC as a user types them: the options SPEC spells, what they print, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.shared_config_home

STAGEWARD = str(Path(sys.executable).parent / "stageward")


def run(*args: str, cwd: Path, user: str = "alice", stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("STAGEWARD_")}
    environ["STAGEWARD_USER"] = user
    return subprocess.run(
        [STAGEWARD, *args], cwd=cwd, env=environ, capture_output=True, text=True, input=stdin, timeout=60
    )


def ok(*args: str, cwd: Path, user: str = "alice") -> str:
    done = run(*args, cwd=cwd, user=user)
    assert done.returncode == 0, done.stderr
    return done.stdout


def error_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    lines = result.stderr.strip().splitlines()
    assert 1 <= len(lines) <= 2, result.stderr
    assert "Traceback" not in result.stderr
    return lines


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One project for the module: alice creates the store (admin everywhere) and runs once in sandbox."""
    root = tmp_path_factory.mktemp("conformance")
    ok("init", "--project", "lp-crosssell", "--team", "lp", cwd=root)
    ok("run", "--env", "sandbox", "--", sys.executable, "-c", "pass", cwd=root)
    return root


def test_cost_report_takes_json_as_every_read_command_does(project: Path):
    as_json = json.loads(ok("cost", "report", "--by", "env", "--json", cwd=project))
    assert as_json == json.loads(ok("cost", "report", "--by", "env", "--format", "json", cwd=project))
    assert as_json["by"] == "env"
    assert [(row["group"], row["runs"]) for row in as_json["rows"]] == [("sandbox", 1)]


def test_cost_report_refuses_json_with_csv(project: Path):
    result = run("cost", "report", "--json", "--format", "csv", cwd=project)
    assert result.returncode == 2
    assert error_lines(result) == ["error: --json and --format csv: choose one"]
    assert result.stdout == ""


def test_secrets_set_help_names_the_generators_it_accepts(project: Path):
    # SPEC §3: --rotate-with random:32 | generator:NAME; a command is never stored with a secret.
    helped = " ".join(ok("secrets", "set", "--help", cwd=project).split())
    assert "random:N, or generator:NAME declared under generators: in stageward.yaml" in helped
    assert "command printing" not in helped
    refused = run("secrets", "set", "TOKEN", "--env", "sandbox", "--rotate-with", "echo x", stdin="v", cwd=project)
    assert refused.returncode == 2
    assert "expected random:N or generator:NAME" in error_lines(refused)[0]


def test_a_misspelt_top_level_key_is_named_with_its_did_you_mean(tmp_path: Path):
    # SPEC §1: unknown keys are errors, with a did-you-mean; the misspelling also leaves `environments` missing,
    # and the user must be told which key they wrote wrong, not only that the right one is absent.
    (tmp_path / "stageward.yaml").write_text("project: lp-x\nenviroments:\n  production: {tier: production}\n")
    result = run("env", "list", cwd=tmp_path)
    assert result.returncode == 2
    assert error_lines(result) == [
        "error: stageward.yaml:2 enviroments: unknown key; did you mean 'environments'?",
        "  (and 1 more problem in this file)",
    ]
    assert not (tmp_path / ".stageward").exists()


def test_a_rejected_promotion_shows_every_gate_with_its_value_and_bound(project: Path):
    # SPEC §6: a failing gate ends the request (rejected) and shows each gate with its value and bound: the
    # passing gate too, not only the failing one the error names.
    (project / "weights.bin").write_bytes(b"weights")
    ok("model", "register", "gated", "weights.bin", "--env", "staging", "--metric", "auc=0.5", cwd=project)
    args = ("promote", "gated", "1", "--from", "staging", "--to", "production")
    shown = run(*args, cwd=project)
    assert shown.returncode == 1
    assert error_lines(shown) == [
        "error: promotion 1 of staging/gated:1 rejected: 1 gate(s) failed: auc 0.5 < min 0.8"
    ]
    rows = [" ".join(line.replace("│", " ").split()) for line in shown.stdout.splitlines() if "│" in line]
    assert rows == [
        "auc min 0.8 0.5 - no auc 0.5 < min 0.8",
        "auc max_drop 0.01 0.5 - yes no version holds the alias: nothing to drop from",
    ]
    as_json = run(*args, "--json", cwd=project)
    assert as_json.returncode == 1
    rejected = json.loads(as_json.stdout)
    assert (rejected["id"], rejected["state"]) == (2, "rejected")
    assert [(g["kind"], g["bound"], g["value"], g["passed"]) for g in rejected["gates"]] == [
        ("min", 0.8, 0.5, False),
        ("max_drop", 0.01, 0.5, True),
    ]
    assert "rejected: 1 gate(s) failed" in error_lines(as_json)[0]


def test_plan_takes_the_same_arguments_as_promote_reason_included(project: Path):
    # SPEC §6: `stageward plan ...` (same arguments); a CI script plans and promotes one command line.
    (project / "planned.bin").write_bytes(b"planned")
    ok("model", "register", "planned", "planned.bin", "--env", "staging", "--metric", "auc=0.9", cwd=project)
    args = ("planned", "1", "--from", "staging", "--to", "production", "--alias", "champion", "--mode", "copy")
    planned = json.loads(ok("plan", *args, "--reason", "nightly retrain", "--json", cwd=project))
    assert (planned["reason"], planned["gates_pass"]) == ("nightly retrain", True)
    shown = ok("plan", *args, "--reason", "nightly retrain", cwd=project)
    assert any(line.split() == ["reason", "nightly", "retrain"] for line in shown.splitlines()), shown
    # A reason promote would refuse, plan refuses alike, at the bound and not below it.
    assert run("plan", *args, "--reason", "x" * 2000, cwd=project).returncode == 0
    for command in ("plan", "promote"):
        refused = run(command, *args, "--reason", "x" * 2001, cwd=project)
        assert refused.returncode == 2
        assert error_lines(refused) == ["error: --reason: expected text of at most 2000 characters"]


def test_webhooks_add_shows_its_signing_secret_once_and_remove_names_the_url(project: Path):
    # The secret is shown once, at add: a crash after the webhook is stored would lose it for good.
    added = run("webhooks", "add", "--env", "staging", "--url", "http://127.0.0.1:9/hook", cwd=project)
    assert added.returncode == 0, added.stderr
    assert added.stdout.startswith("whsec_") and len(added.stdout.strip().splitlines()) == 1
    webhook_id = added.stderr.split()[2]
    assert added.stderr.startswith(f"added webhook {webhook_id} for staging: http://127.0.0.1:9/hook\n")
    secret = added.stdout.strip()
    assert secret not in ok("webhooks", "list", "--json", cwd=project)
    removed = run("webhooks", "remove", webhook_id, cwd=project)
    assert (removed.returncode, removed.stdout) == (0, f"removed webhook {webhook_id} (http://127.0.0.1:9/hook)\n")
    again = run("webhooks", "remove", webhook_id, cwd=project)
    assert again.returncode == 4
    assert error_lines(again)[0] == f"error: no webhook {webhook_id}"


def test_policy_show_prints_the_enforced_controls_as_a_table(project: Path):
    shown = run("policy", "show", cwd=project)
    assert shown.returncode == 0, shown.stderr
    lines = [" ".join(line.replace("│", " ").split()) for line in shown.stdout.splitlines()]
    assert "project lp-crosssell" in lines and "version 1" in lines
    production = next(line for line in lines if line.startswith("production "))
    assert production.startswith("production production staging 2 metric=auc, min=0.8")
    as_json = json.loads(ok("policy", "show", "--json", cwd=project))
    assert as_json["environments"]["production"]["approvals"] == 2


def test_schedule_remove_takes_json_as_add_does(project: Path):
    ok("schedule", "add", "hourly", "--env", "sandbox", "--cron", "0 * * * *", cwd=project)
    removed = json.loads(ok("schedule", "remove", "hourly", "--env", "sandbox", "--json", cwd=project))
    assert (removed["name"], removed["environment"], removed["cron"]) == ("hourly", "sandbox", "0 * * * *")
    assert json.loads(ok("schedule", "list", "--env", "sandbox", "--json", cwd=project)) == []
