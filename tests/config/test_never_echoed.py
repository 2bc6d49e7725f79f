"""Stageward's own credentials are never interpolated, and no config error repeats a value from a variable or --set.

A value from the environment or the command line may be a credential: an error names the key and where it
was set (file:line, environment variable NAME, --set KEY), and says what is wrong without a word of it.
"""

from __future__ import annotations

import pytest

from stageward.configuration import ConfigError
from stageward.configuration.layers import env_layer
from stageward.configuration.model import is_own_credential

CANARY = "CANARY7f3q"

# (what the value says, the exit code). Each value holds the canary, and each is an error of its own kind.
ERROR_KINDS = [
    pytest.param(f"{CANARY}${{x", 2, id="unclosed"),
    pytest.param(f"${{a${{{CANARY}}}}}", 2, id="nested"),
    pytest.param(f"${{env:{CANARY}-x}}", 2, id="bad-variable-name"),
    pytest.param(f"${{secret:{CANARY}!}}", 2, id="bad-secret-name"),
    pytest.param(f"${{{CANARY}:x}}", 2, id="unknown-kind"),
    pytest.param(f"{CANARY}${{}}", 2, id="empty"),
    pytest.param(f"${{{CANARY} x}}", 2, id="not-a-key-path"),
    pytest.param(f"${{{CANARY}.x}}", 2, id="no-such-key"),
    pytest.param(f"${{env:{CANARY}_UNSET}}", 2, id="variable-not-set"),
    pytest.param(f"{CANARY}-${{training}}", 2, id="mapping-inside-a-string"),
    pytest.param(f"${{paths.models}}{CANARY}", 2, id="cycle"),
    pytest.param(f"${{env:STAGEWARD_API_KEY}}{CANARY}", 2, id="own-credential"),
    pytest.param(f"[{CANARY}", 2, id="not-yaml"),
    pytest.param(f"!{CANARY} x", 2, id="tag"),
    pytest.param(f"*{CANARY}", 2, id="undefined-alias"),
    pytest.param(f"{{{CANARY}: 1}}", 2, id="mapping"),
    pytest.param("1" * 5000, 2, id="huge-integer"),
    pytest.param(f"${{secret:{CANARY}}}", 4, id="missing-secret"),
]


def _assert_quiet(result, code: int, origin: str) -> None:
    assert result.code == code, (result.code, result.err)
    assert result.err.startswith("error: ") and "Traceback" not in result.err
    assert CANARY not in result.err and CANARY not in result.out
    assert origin in result.err, result.err


@pytest.mark.parametrize(("value", "code"), ERROR_KINDS)
def test_a_set_value_is_never_echoed_in_an_error(conf, cli, value, code):
    result = cli("config", "show", "--env", "production", "--reveal", "--set", f"data.root={value}")
    _assert_quiet(result, code, "--set data.root")


@pytest.mark.parametrize(("value", "code"), ERROR_KINDS)
def test_a_variable_value_is_never_echoed_in_an_error(conf, cli, value, code):
    result = cli("config", "show", "--env", "production", "--reveal", env={"CROSSSELL_DATA__ROOT": value})
    _assert_quiet(result, code, "environment variable CROSSSELL_DATA__ROOT")


def test_a_committed_file_still_quotes_the_reference_as_written(conf, resolved):
    conf("production/main.yaml", "out: ${paths.model}/x\n")
    with pytest.raises(ConfigError) as caught:
        resolved()
    assert "out: ${paths.model}/x -> paths.model: no such key" in caught.value.message


def test_an_unclosed_reference_under_a_secret_like_key_in_a_file_is_not_quoted(conf, resolved):
    conf("production/main.yaml", f"db:\n  password: '{CANARY}${{x'\n")
    with pytest.raises(ConfigError) as caught:
        resolved()
    assert caught.value.message == (
        "conf/production/main.yaml:2 db.password: unclosed '${' (write $${ for a literal ${)"
    )


def test_explain_still_shows_a_set_value_and_masks_a_secret_like_one(conf, resolved):
    config = resolved(overrides=["training.lr=0.5", "+db.password=hunter2"])
    assert config.where(("training", "lr")) == "--set training.lr=0.5"
    assert config.where(("db", "password")) == "--set db.password=***"
    assert config.origin(("training", "lr")).named == "--set training.lr"  # type: ignore[union-attr]


# ---- Stageward's own credentials --------------------------------------------------------------------

OWN = [
    "STAGEWARD_MASTER_KEY",
    "STAGEWARD_MASTER_KEY_FILE",
    "STAGEWARD_API_KEY",
    "STAGEWARD_STORE",
    "STAGEWARD_PRODUCTION_KEY",
    "STAGEWARD_DB_PASSWORD",
]


@pytest.mark.parametrize("name", OWN)
@pytest.mark.parametrize("written", ["${{env:{name}}}", "${{env:{name},fallback}}", "url-${{env:{name}}}-x"])
def test_own_credentials_are_never_interpolated(conf, resolved, name, written):
    conf("production/main.yaml", f"deploy:\n  target: '{written.format(name=name)}'\n")
    with pytest.raises(ConfigError) as caught:
        resolved(environ={name: CANARY})
    message = caught.value.format_message()
    assert message.startswith("conf/production/main.yaml:2 deploy.target: ")
    assert "reads one of Stageward's own credentials; they are never interpolated" in message
    assert CANARY not in message
    assert caught.value.exit_code == 2


@pytest.mark.parametrize("name", ["STAGEWARD_ENV", "STAGEWARD_USER", "STAGEWARD_URL", "HOME"])
def test_other_variables_are_interpolated(name):
    assert not is_own_credential(name)


def test_the_override_layer_never_reads_them_whatever_the_prefix():
    merged = {"master_key": 1, "api_key": 2, "store": 3, "env": 4, "tageward_store": 5}
    environ = {"STAGEWARD_MASTER_KEY": CANARY, "STAGEWARD_API_KEY": CANARY, "STAGEWARD_STORE": CANARY}
    assert env_layer(merged, environ, "STAGEWARD_").data == {}
    assert env_layer(merged, environ, "S").data == {}
    assert env_layer(merged, {"STAGEWARD_ENV": "7"}, "STAGEWARD_").data == {"env": 7}


def test_show_and_export_refuse_and_never_print_the_store_url(conf, cli, tmp_path):
    conf("production/main.yaml", "db:\n  url: ${env:STAGEWARD_STORE}\n")
    store = f"sqlite:///{tmp_path / 'cli.db'}"  # what the cli fixture sets STAGEWARD_STORE to
    for command in (
        ("config", "show", "--env", "production"),
        ("config", "show", "--env", "production", "--json"),
        ("config", "export", "--env", "production", "--format", "k8s"),
        ("config", "export", "--env", "production", "--format", "dotenv"),
    ):
        result = cli(*command)
        assert result.code == 2, (command, result.err)
        assert result.err == (
            "error: conf/production/main.yaml:2 db.url: ${env:STAGEWARD_STORE}: ${env:STAGEWARD_STORE} reads one of "
            "Stageward's own "
            "credentials; they are never interpolated (a config is shown, exported and handed to runs)\n"
        )
        assert store not in result.out + result.err


def test_a_ci_key_is_refused_through_the_cli(conf, cli):
    conf("production/main.yaml", "deploy:\n  key: x-${env:STAGEWARD_PRODUCTION_KEY}\n")
    result = cli(
        "config", "export", "--env", "production", "--format", "k8s", env={"STAGEWARD_PRODUCTION_KEY": CANARY}
    )
    assert result.code == 2 and CANARY not in result.out + result.err
    assert "deploy.key: x-${env:STAGEWARD_PRODUCTION_KEY}: ${env:STAGEWARD_PRODUCTION_KEY} reads one of" in result.err


def test_config_check_reports_it_as_one_finding(conf, cli):
    conf("base/deploy.yaml", "deploy:\n  key: ${env:STAGEWARD_MASTER_KEY}\n  again: ${deploy.key}\n")
    result = cli("config", "check")
    assert result.code == 1, result.err
    own = [line for line in result.out.splitlines() if "STAGEWARD_MASTER_KEY" in line]
    assert own == [  # once for a base file, though every environment reads it
        "sandbox: conf/base/deploy.yaml:2 deploy.key: ${env:STAGEWARD_MASTER_KEY} reads one of Stageward's own "
        "credentials; they are never interpolated"
    ]
