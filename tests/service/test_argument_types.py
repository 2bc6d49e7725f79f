"""Verbs called through the SDK with wrong types: bad input naming the verb and argument, never a crash inside it,
and never the value (it may be a secret)."""

from __future__ import annotations

import pytest

from stageward.errors import BadInput


@pytest.mark.parametrize(
    ("verb", "arguments", "message"),
    [
        (
            "access.grant",
            {"principal": 123, "role": "viewer", "env": "staging"},
            "argument principal expected str, got int",
        ),
        ("audit.list", {"limit": "many"}, "argument limit expected int, got str"),
        ("audit.list", {"limit": True}, "argument limit expected int, got bool"),
        ("keys.create", {"principal": "bob", "env": ["staging"]}, "argument env expected str, got list"),
    ],
)
def test_wrong_types_are_bad_input(client_for, verb: str, arguments: dict[str, object], message: str):
    with pytest.raises(BadInput) as caught:
        client_for("alice").call(verb, **arguments)
    assert caught.value.message == f"{verb}: {message}"


def test_a_secret_of_the_wrong_type_is_refused_without_echoing_it(client_for):
    with pytest.raises(BadInput) as caught:
        client_for("alice").call("secrets.set", env="staging", name="TOKEN", value=b"hunter2-canary")
    assert caught.value.message == "secrets.set: argument value expected str, got bytes"
    assert "hunter2" not in caught.value.format_message()


def test_an_int_may_come_as_digits(client_for):
    alice = client_for("alice")
    assert len(alice.call("audit.list", limit="1")) == 1
