"""`config check`: each finding of SPEC §4, one a line, and a clean pass once fixed."""

from __future__ import annotations

import re

import pytest

from stageward.errors import Denied

CLEAN = """\
training:
  lr: 0.01
  epochs: 20
data:
  sample_fraction: 1.0
"""


@pytest.fixture
def lines(client_for):
    alice = client_for("alice")

    def run(env: str | None = None) -> list[str]:
        result = alice.call("config.check", env=env)
        assert result["ok"] == (not result["findings"])
        return [finding["line"] for finding in result["findings"]]

    return run


@pytest.fixture
def clean(write, project_root):
    """The example project minus development's read of production's bucket, with a clean config."""
    text = (project_root / "stageward.yaml").read_text()
    write("stageward.yaml", text.replace('prod_sample: {uri: "s3://lp-prod/sample", access: read}', ""))
    write("conf/base/main.yaml", CLEAN)
    for env, epochs in (("sandbox", 1), ("development", 5), ("staging", 20), ("production", 20)):
        write(f"conf/{env}/main.yaml", f"training:\n  epochs: {epochs}\n")


def test_a_clean_project_passes(clean, lines):
    assert lines() == []


def test_weaker_controls_on_production_data(lines, write):
    write("conf/base/main.yaml", CLEAN)
    assert lines() == [
        "development: stageward.yaml:19 environments.development.data.prod_sample: can read production data "
        "(prod_sample: s3://lp-prod/sample) with weaker controls than production: no required refs "
        "(production requires refs/heads/main, refs/tags/v*); no clean tree (production requires one)"
    ]


def test_foreign_data_store_and_the_fix(clean, write, lines):
    for env, uri in (
        ("sandbox", "file://./data/sandbox/x"),
        ("development", "s3://lp-dev/out"),
        ("staging", "s3://lp-staging/out"),
        ("production", "s3://lp-dev/out/run-1"),
    ):
        write(f"conf/{env}/data.yaml", f"data:\n  output: {uri}\n")
    assert lines("production") == [
        "production: conf/production/data.yaml:2 data.output: s3://lp-dev/out/run-1 is "
        "development's data store "
        "dev_out (s3://lp-dev/out), not declared in production",
        "staging/production: data.output: staging has 's3://lp-staging/out' (conf/staging/data.yaml:2), "
        "production has 's3://lp-dev/out/run-1' (conf/production/data.yaml:2); "
        "not listed in config.intentional_differences",
    ]
    write("conf/production/data.yaml", "data:\n  output: s3://lp-prod/out/run-1\n")
    assert lines() == []  # each environment points at its own store: no drift either


def test_another_environments_bucket_is_foreign_too(clean, write, lines):
    write("conf/base/extra.yaml", "data:\n  cache: s3://lp-staging/cache\n")
    assert lines("production") == [
        "production: conf/base/extra.yaml:2 data.cache: s3://lp-staging/cache is in "
        "s3://lp-staging, the bucket "
        "of staging's data store staging_out, not declared in production"
    ]


def test_literal_secrets_under_secret_like_keys(clean, write, lines):
    write(
        "conf/base/db.yaml",
        "db:\n  password: hunter2\n  user: ml\n  token_ttl: 60\n  api_key: ${env:API_KEY}\n",
    )
    found = lines()
    assert found == [
        "sandbox: conf/base/db.yaml:2 db.password: a literal value under a secret-like key; "
        "store it as a secret and write ${secret:NAME}",
        "staging: stageward.yaml:26 environments.staging.data.prod_features: can read production data "
        "(prod_features: s3://lp-prod/features) with weaker controls than production: "
        "shared keys with production (db.password)",
    ]
    assert "hunter2" not in "".join(found)


def test_a_secret_reference_with_no_such_secret(clean, write, lines):
    write("conf/production/db.yaml", "db:\n  password: ${secret:DB_PASSWORD}\n")
    write("conf/staging/db.yaml", "db:\n  password: ${secret:DB_PASSWORD}\n")
    assert lines("production") == [
        "production: conf/production/db.yaml:2 db.password: ${secret:DB_PASSWORD}: no such "
        "secret in production",
        "conf/staging/db.yaml:2 db.password: set in staging, production; missing in sandbox, development",
    ]


def test_drift_between_staging_and_production_outside_intentional_differences(clean, write, lines):
    write("conf/staging/main.yaml", "training:\n  epochs: 3\n  lr: 0.02\n")
    assert lines() == [
        "staging/production: training.lr: staging has 0.02 (conf/staging/main.yaml:3), production has 0.01 "
        "(conf/base/main.yaml:2); not listed in config.intentional_differences"
    ]


def test_keys_present_in_some_environments_and_missing_in_others(clean, write, lines):
    write("conf/production/main.yaml", "training:\n  epochs: 20\n  warmup: 2\n")
    write("conf/staging/main.yaml", "training:\n  epochs: 20\n  warmup: 2\n")
    assert lines() == [
        "conf/staging/main.yaml:3 training.warmup: set in staging, production; missing in "
        "sandbox, development"
    ]
    assert lines("sandbox") == lines()


@pytest.fixture
def with_schema(clean, write, project_root):
    text = (project_root / "stageward.yaml").read_text()
    write("stageward.yaml", text.replace("  dir: conf\n", "  dir: conf\n  schema: conf/schema.json\n"))


def test_schema_violations_name_the_key_and_where_it_was_set(with_schema, write, lines):
    write(
        "conf/schema.json",
        '{"type": "object", "properties": {"training": {"type": "object", "properties": '
        '{"lr": {"type": "number", "maximum": 1}, "momentum": {"type": "number"}}, '
        '"required": ["lr", "epochs"]}}}',
    )
    write("conf/production/main.yaml", "training:\n  epochs: 20\n  lr: fast\n")
    # Written as ${env:MOMENTUM}, the value is checked where it resolves, not as its text.
    write("conf/base/extra.yaml", "training:\n  momentum: ${env:MOMENTUM}\n")
    assert lines("production") == [
        "production: conf/production/main.yaml:3 training.lr: 'fast' is not of type 'number' "
        "(schema conf/schema.json:1)",
        "staging/production: training.lr: staging has 0.01 (conf/base/main.yaml:2), production has 'fast' "
        "(conf/production/main.yaml:3); not listed in config.intentional_differences",
    ]


def test_rollout_flags_are_checked(clean, write, lines):
    write("conf/base/flags.yaml", "flags:\n  ranker: {value: true, rollout: 2}\n")
    assert lines("sandbox") == [
        "sandbox: conf/base/flags.yaml:2 flags.ranker: rollout must be a number from 0 to 1, "
        "got a number outside that range"
    ]


def test_a_config_folder_for_no_environment(clean, write, lines):
    write("conf/prodution/main.yaml", "training:\n  epochs: 1\n")
    assert lines() == [
        "conf/prodution: a config folder for no environment in stageward.yaml; it is never read "
        "(did you mean production?)"
    ]


def test_checking_everything_needs_config_read_everywhere(clean, client_for):
    alice, bob = client_for("alice"), client_for("bob")
    alice.call("access.grant", principal="bob", role="viewer", env="staging")
    assert bob.call("config.check", env="staging")["ok"] is True
    with pytest.raises(Denied, match=re.escape("bob lacks config.read in sandbox")):
        bob.call("config.check")


def test_a_protected_alias_nothing_can_move_is_a_finding_with_exit_1(clean, write, project_root, cli):
    text = (project_root / "stageward.yaml").read_text()
    aliases = (
        "  sandbox:\n    tier: sandbox\n"
        "    aliases:\n      champion: {protected: true}\n      scratch: {protected: false}\n"
    )
    production = "  production:\n    tier: production\n    aliases:\n      champion: {}\n"
    write("stageward.yaml", text.replace("  sandbox:\n    tier: sandbox\n", aliases).replace(
        "  production:\n    tier: production\n", production
    ))
    result = cli("config", "check", "--env", "sandbox")
    assert result.code == 1, result.err
    # Only the protected one: an unprotected alias is set by whoever may set aliases there.
    assert result.out.splitlines() == [
        "sandbox: stageward.yaml:14 environments.sandbox.aliases.champion: alias 'champion' is protected, but no "
        "environment promotes into sandbox (promote_from is empty): only a promotion moves a protected alias, so "
        "it could never be set; add promote_from or declare it {protected: false}"
    ]
    assert result.err == "error: config check: 1 finding\n"
    # production declares champion too (protected by its tier) but staging promotes into it: no finding.
    assert cli("config", "check", "--env", "production").code == 0


def test_a_production_alias_declared_unprotected_is_the_way_out_not_a_finding(clean, write, project_root, cli):
    text = (project_root / "stageward.yaml").read_text()
    write("stageward.yaml", text.replace(
        "  production:\n    tier: production\n",
        "  production:\n    tier: production\n    aliases:\n      shadow: {protected: false}\n",
    ))
    result = cli("config", "check", "--env", "production")
    assert (result.code, result.err) == (0, "")
