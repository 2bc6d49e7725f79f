"""The config commands as a user runs them: output, exit codes, --json."""

from __future__ import annotations

import json

import yaml


def test_show_prints_yaml_with_the_digest_and_masks_secrets(conf, cli):
    conf("production/db.yaml", "db:\n  password: ${secret:DB_PASSWORD}\n")
    result = cli("config", "show", "--env", "production")
    assert result.code == 0, result.err
    header, _, body = result.out.partition("\n")
    assert header.startswith("# production  sha256:")
    assert yaml.safe_load(body)["db"] == {"password": "***"}


def test_show_json_with_explain_and_set(conf, cli):
    result = cli(
        "config",
        "show",
        "--env",
        "production",
        "--json",
        "--explain",
        "--set",
        "training.lr=0.5",
        env={"CROSSSELL_TRAINING__EPOCHS": "7"},
    )
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["config"]["training"]["lr"] == 0.5
    origins = {row["key"]: row["origin"] for row in data["explain"]}
    assert origins["training.lr"] == "--set training.lr=0.5"
    assert origins["training.epochs"] == "environment variable CROSSSELL_TRAINING__EPOCHS"


def test_reveal_without_permission_exits_3(conf, cli):
    result = cli("config", "show", "--env", "production", "--reveal", user="bob")
    assert result.code == 3
    assert result.err.startswith("error: denied: bob lacks secrets.read_value in production")
    audit = json.loads(cli("audit", "list", "--env", "production", "--json").out)
    assert (audit[-1]["principal"], audit[-1]["action"], audit[-1]["outcome"]) == (
        "bob",
        "config.reveal",
        "denied",
    )


def test_check_prints_findings_one_a_line_and_exits_1(conf, cli):
    conf("production/x.yaml", "db:\n  password: hunter2\n")
    result = cli("config", "check", "--env", "production")
    assert result.code == 1
    assert result.out.splitlines()[0] == (
        "production: conf/production/x.yaml:2 db.password: a literal value under a secret-like key; "
        "store it as a secret and write ${secret:NAME}"
    )
    assert "hunter2" not in result.out + result.err
    assert result.err.startswith("error: config check: ")


def test_check_json(conf, cli):
    result = cli("config", "check", "--json")
    data = json.loads(result.out)
    assert result.code == (1 if data["findings"] else 0)
    assert data["environments"] == ["sandbox", "development", "staging", "production"]


def test_diff_table_and_same_environment(conf, cli):
    conf("staging/main.yaml", "training:\n  epochs: 3\n")
    result = cli("config", "diff", "staging", "production")
    assert result.code == 0 and "training.epochs" in result.out and "intentional" in result.out
    same = cli("config", "diff", "staging", "staging")
    assert same.code == 2 and "name two different environments" in same.err


def test_export_k8s_from_the_cli(conf, cli):
    result = cli("config", "export", "--env", "production", "--format", "k8s")
    assert result.code == 0, result.err
    kinds = [d["kind"] for d in yaml.safe_load_all(result.out)]
    assert kinds == ["ConfigMap"]
