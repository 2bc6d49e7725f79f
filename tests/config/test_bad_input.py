"""Every bad input a user can hit: one clear line naming file:line, exit 2, never a traceback."""

from __future__ import annotations

import time

import pytest

BOMB = """\
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
"""


def assert_bad_input(result, message: str) -> None:
    assert result.code == 2, (result.code, result.err)
    assert "Traceback" not in result.err
    assert result.err.startswith("error: ")
    assert message in result.err, result.err
    assert len(result.err.strip().splitlines()) <= 2


def test_object_tags_are_refused_with_file_and_line(conf, cli):
    conf("production/main.yaml", "x: 1\nrun: !!python/object/apply:os.system ['echo pwned']\n")
    result = cli("config", "show", "--env", "production")
    assert_bad_input(
        result,
        "conf/production/main.yaml:2: tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed",
    )


def test_custom_tags_are_refused(conf, cli):
    conf("production/main.yaml", "x: !secret abc\n")
    assert_bad_input(
        cli("config", "show", "--env", "production"), "conf/production/main.yaml:1: tag '!secret'"
    )


def test_an_alias_bomb_is_refused_naming_the_file(conf, cli):
    conf("production/main.yaml", BOMB)
    result = cli("config", "show", "--env", "production")
    assert_bad_input(
        result, "conf/production/main.yaml: document expands past 100000 nodes (alias expansion); refused"
    )


def test_a_50_mb_config_file_is_refused_before_it_is_read(conf, cli, project_root):
    big = project_root / "conf" / "base" / "huge.yaml"
    with big.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)
    result = cli("config", "show", "--env", "production")
    assert_bad_input(
        result, "conf/base/huge.yaml: 52428800 bytes is over the 4194304 byte limit for a YAML file"
    )


def test_a_key_with_a_dot_is_refused(conf, cli):
    conf("production/main.yaml", "training:\n  a.b: 1\n")
    result = cli("config", "show", "--env", "production")
    assert_bad_input(
        result,
        "conf/production/main.yaml:2 training.a.b: key 'a.b' is not allowed: a config key is ASCII letters, "
        "digits, _ and -, starting with a letter or _ (a dot separates levels: nest the key instead)",
    )


@pytest.mark.parametrize(
    ("key", "shown"),
    [("lr\u200b", "'lr\\u200b'"), ("\u0430ctivation", "'\\u0430ctivation'"), ("caf\u00e9", "'caf\\xe9'")],
)
def test_keys_with_odd_unicode_are_refused_and_shown_escaped(conf, cli, key, shown):
    conf("production/main.yaml", f"training:\n  {key}: 1\n")
    result = cli("config", "show", "--env", "production")
    assert_bad_input(result, f"conf/production/main.yaml:2 training.{key}: key {shown} is not allowed")


def test_set_without_equals(conf, cli):
    result = cli("config", "show", "--env", "production", "--set", "training.lr")
    assert_bad_input(result, "--set: expected KEY=VALUE, for example --set training.lr=0.1 (no '=' found)")


def test_an_override_variable_that_is_not_yaml_names_the_variable_not_the_value(conf, cli):
    result = cli("config", "show", "--env", "production", env={"CROSSSELL_TRAINING__LAYERS": "[64, 32"})
    assert_bad_input(result, "environment variable CROSSSELL_TRAINING__LAYERS: the value is not valid YAML")
    assert "[64, 32" not in result.err


def test_a_schema_that_is_not_json_schema(conf, cli, write, project_root):
    text = (
        (project_root / "stageward.yaml")
        .read_text()
        .replace("  dir: conf\n", "  dir: conf\n  schema: conf/schema.json\n")
    )
    write("stageward.yaml", text)
    write(
        "conf/schema.json",
        '{\n  "type": "object",\n  "properties": {\n    "training": {"type": "integr"}\n  }\n}\n',
    )
    result = cli("config", "check")
    assert_bad_input(result, "conf/schema.json:4: not a valid JSON Schema at properties/training/type:")


def test_a_schema_that_is_not_json(conf, cli, write, project_root):
    text = (
        (project_root / "stageward.yaml")
        .read_text()
        .replace("  dir: conf\n", "  dir: conf\n  schema: conf/schema.json\n")
    )
    write("stageward.yaml", text)
    write("conf/schema.json", '{\n  "type": "object",\n  "properties": {,}\n}\n')
    assert_bad_input(cli("config", "check"), "conf/schema.json:3: not valid JSON (Expecting property name")


def test_a_cycle_through_the_cli(conf, cli):
    conf("production/main.yaml", "a: ${b}\nb: ${a}\n")
    assert_bad_input(
        cli("config", "show", "--env", "production"),
        "interpolation cycle: conf/production/main.yaml:1 a: ${b} -> "
        "conf/production/main.yaml:2 b: ${a} -> back to a",
    )


def test_a_missing_key_through_the_cli(conf, cli):
    conf("production/main.yaml", "out: ${paths.model}/x\n")
    assert_bad_input(
        cli("config", "show", "--env", "production"),
        "conf/production/main.yaml:1 out: ${paths.model}/x -> paths.model: no such key (did you "
        "mean paths.models?)",
    )


def test_a_list_at_the_top_of_a_config_file(conf, cli):
    conf("production/main.yaml", "- a\n- b\n")
    assert_bad_input(
        cli("config", "show", "--env", "production"),
        "conf/production/main.yaml:1: expected a mapping of keys at the top of a config file",
    )


def test_an_unknown_export_format(conf, cli):
    assert_bad_input(
        cli("config", "export", "--env", "production", "--format", "toml"),
        "--format 'toml': expected one of dotenv, json, k8s",
    )


def test_an_unknown_environment_is_not_found(conf, cli):
    result = cli("config", "show", "--env", "prod")
    assert result.code == 4 and "no environment 'prod'" in result.err and "Traceback" not in result.err


SCALAR_BOMB = "big: &a " + "x" * (1 << 20) + "\nmany: [" + ", ".join(["*a"] * 20_000) + "]\n"


@pytest.mark.parametrize("command", [("config", "show", "--env", "production"), ("config", "check")])
def test_a_large_scalar_behind_many_aliases_is_refused_in_time(conf, cli, command):
    conf("production/main.yaml", SCALAR_BOMB)
    started = time.monotonic()
    result = cli(*command)
    assert_bad_input(
        result,
        "conf/production/main.yaml: document expands past 16777216 bytes of text (alias expansion); refused",
    )
    assert time.monotonic() - started < 20  # a whole CLI process; it used to take 40 s and a MemoryError


def test_an_integer_of_10000_digits_names_file_line_and_key(conf, cli):
    conf("production/main.yaml", "training:\n  epochs: " + "9" * 10_000 + "\n")
    result = cli("config", "show", "--env", "production")
    assert_bad_input(
        result,
        "conf/production/main.yaml:2 training.epochs: an integer of more than 4000 digits is refused",
    )


def test_an_integer_of_10000_digits_in_stageward_yaml(conf, cli, write, project_root):
    text = (project_root / "stageward.yaml").read_text().replace("approvals: 2", "approvals: " + "9" * 10_000)
    write("stageward.yaml", text)
    result = cli("config", "show", "--env", "production")
    assert_bad_input(result, "stageward.yaml:")
    assert "environments.production.promotion.approvals: an integer of more than 4000 digits" in result.err


def test_an_overflowing_float_names_file_line_and_key(conf, cli):
    conf("production/main.yaml", "training:\n  lr: 1.0e+400\n")
    assert_bad_input(
        cli("config", "show", "--env", "production", "--json"),
        "conf/production/main.yaml:2 training.lr: expected a finite number",
    )
