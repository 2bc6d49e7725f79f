"""Interpolation: types, environment and secret references, cycles and missing keys named link by link."""

from __future__ import annotations

import pytest

from stageward.configuration import ConfigError


def test_a_reference_alone_keeps_the_type_of_what_it_names(conf, resolved):
    conf(
        "production/main.yaml",
        "copy:\n  lr: ${training.lr}\n  layers: ${training.layers}\n  t: ${training}\n",
    )
    values = resolved().values
    assert values["copy"]["lr"] == 0.01
    assert values["copy"]["layers"] == [64, 32]
    assert values["copy"]["t"]["batch_size"] == 256


def test_references_inside_a_string_become_text(conf, resolved):
    conf(
        "production/main.yaml",
        "label: run-${training.epochs}-${training.lr}-${flags.enabled}\nflags:\n  enabled: "
        "true\nfirst: ${training.layers.0}\n",
    )
    values = resolved().values
    assert values["label"] == "run-20-0.01-true"
    assert values["first"] == 64
    assert values["paths"]["models"] == "/srv/data/models"


def test_a_mapping_inside_a_string_is_an_error(conf, resolved):
    conf("production/main.yaml", "label: x-${training}\n")
    with pytest.raises(ConfigError) as caught:
        resolved()
    assert caught.value.message.startswith(
        "conf/production/main.yaml:1 label: x-${training}: ${training} is a mapping; only a string, number"
    )


def test_environment_references_with_and_without_default(conf, resolved):
    conf(
        "production/main.yaml",
        "env:\n  port: ${env:PORT}\n  host: ${env:HOST,localhost}\n  url: http://${env:HOST,h}:${env:PORT}\n",
    )
    values = resolved(environ={"PORT": "8080"}).values
    assert values["env"] == {"port": 8080, "host": "localhost", "url": "http://h:8080"}
    with pytest.raises(ConfigError) as caught:
        resolved(environ={})
    assert caught.value.message == (
        "conf/production/main.yaml:2 env.port: ${env:PORT}: environment variable PORT is not set "
        "and ${env:PORT} has no default (write ${env:PORT,DEFAULT})"
    )


def test_keep_mode_leaves_environment_references_as_written(conf, resolved):
    """What the server does: it never resolves ${env:} against its own environment."""
    conf(
        "production/main.yaml",
        "env:\n  port: ${env:PORT}\n  url: http://${env:HOST,h}/x\n  lr: ${training.lr}\n",
    )
    values = resolved(environ={"PORT": "1", "HOST": "server-host"}, env_refs="keep").values
    assert values["env"] == {"port": "${env:PORT}", "url": "http://${env:HOST,h}/x", "lr": 0.01}


def test_secret_references_stay_as_written_and_are_masked_or_revealed_afterwards(conf, resolved):
    conf(
        "production/main.yaml",
        "db:\n  password: ${secret:DB_PASSWORD}\n  url: "
        "postgres://u:${secret:DB_PASSWORD}@h/db\n  again: ${db.url}\n",
    )
    config = resolved()
    assert config.values["db"]["password"] == "${secret:DB_PASSWORD}"
    assert config.masked()["db"] == {
        "password": "***",
        "url": "postgres://u:***@h/db",
        "again": "postgres://u:***@h/db",
    }
    assert config.secrets() == {"DB_PASSWORD"}

    class Source:
        def exists(self, name: str) -> bool:
            return True

        def reveal_many(self, names):
            return {name: f"value-of-{name}" for name in names}

    assert config.revealed(Source())["db"]["again"] == "postgres://u:value-of-DB_PASSWORD@h/db"


def test_dollar_dollar_writes_a_literal(conf, resolved):
    conf("production/main.yaml", "shell: echo $${HOME} and $HOME\n")
    assert resolved().values["shell"] == "echo ${HOME} and $HOME"


def test_a_cycle_names_every_link_with_its_file_and_line(conf, resolved):
    conf("production/main.yaml", "a: ${b}\nb: x-${c.d}\n")
    conf("production/more.yaml", "c:\n  d: ${a}\n")
    with pytest.raises(ConfigError) as caught:
        resolved()
    assert caught.value.message == (
        "interpolation cycle: conf/production/main.yaml:1 a: ${b} -> conf/production/main.yaml:2 b: x-${c.d} "
        "-> conf/production/more.yaml:2 c.d: ${a} -> back to a"
    )


def test_a_self_reference_is_a_cycle(conf, resolved):
    conf("production/main.yaml", "a: ${a}\n")
    with pytest.raises(
        ConfigError, match=r"interpolation cycle: conf/production/main.yaml:1 a: \$\{a\} -> back to a"
    ):
        resolved()


def test_a_missing_key_names_the_chain_that_reached_it(conf, resolved):
    conf("production/main.yaml", "a: ${b}\nb: ${data.rooot}\n")
    with pytest.raises(ConfigError) as caught:
        resolved()
    assert caught.value.message == (
        "conf/production/main.yaml:1 a: ${b} -> conf/production/main.yaml:2 b: ${data.rooot} "
        "-> data.rooot: no such key (did you mean data.root?)"
    )


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("${nope:X}", "unknown interpolation 'nope:' in ${nope:X}"),
        ("${env:}", "${env:} needs an environment variable name"),
        ("${secret:}", "${secret:} needs a secret name"),
        ("${}", "empty interpolation ${}"),
        ("${a b}", "${a b} is not a key path"),
        ("x ${data.root", "unclosed '${'"),
        ("${env:X,${data.root}}", "nested interpolation"),
    ],
)
def test_malformed_references_are_errors_with_file_and_line(conf, resolved, written, message):
    conf("production/main.yaml", f"bad: '{written}'\n")
    with pytest.raises(ConfigError) as caught:
        resolved()
    assert caught.value.message.startswith("conf/production/main.yaml:1 bad: ")
    assert message in caught.value.message


def test_reveal_asks_the_source_once_per_secret(conf, resolved):
    conf("production/main.yaml", "a: ${secret:K}\nb: x-${secret:K}\nc: ${a}\nd: ${secret:L}\n")
    asked: list[str] = []

    class Source:
        def exists(self, name: str) -> bool:
            return True

        def reveal_many(self, names):
            asked.extend(names)
            return {name: name.lower() for name in names}

    values = resolved().revealed(Source())
    assert (values["a"], values["b"], values["c"], values["d"]) == ("k", "x-k", "k", "l")
    assert asked == ["K", "L"]
