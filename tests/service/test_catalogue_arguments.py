"""Verbs called through the SDK with missing arguments or text UTF-8 cannot hold: bad input naming the verb and the
argument (TypeError and UnicodeEncodeError reached users as internal errors), never the value."""

from __future__ import annotations

import pytest

from stageward.errors import BadInput

LONE = "\udcff"


def test_missing_arguments_through_call(client_for):
    with pytest.raises(BadInput) as caught:
        client_for("alice").call("secrets.set", value="v")
    assert caught.value.message == "secrets.set: missing argument(s) env, name"
    assert caught.value.exit_code == 2


def test_missing_arguments_through_the_typed_client(client_for):
    with pytest.raises(BadInput) as caught:
        client_for("alice").access.grant()
    assert caught.value.message == "access.grant: missing argument(s) principal, role"  # env or all_environments


def test_an_argument_with_a_default_may_be_left_out(client_for):
    assert isinstance(client_for("alice").call("audit.list"), list)


def test_an_unexpected_argument_is_still_named_first(client_for):
    with pytest.raises(BadInput, match=r"^access.grant: unexpected argument\(s\) roel$"):
        client_for("alice").call("access.grant", roel="viewer")


def _refused(verb: str, argument: str) -> str:
    return (
        f"{verb}: argument {argument} is not valid Unicode text (it holds a lone surrogate, as undecodable bytes "
        "become); pass UTF-8 text"
    )


@pytest.mark.parametrize(
    ("verb", "arguments", "argument"),
    [
        ("access.grant", {"principal": "bob" + LONE, "role": "viewer", "env": "staging"}, "principal"),
        ("secrets.set", {"env": "staging", "name": "TOKEN", "value": "hunter2-canary" + LONE}, "value"),
        ("model.upload", {"env": "staging", "path": "/tmp/x" + LONE}, "path"),
        (
            "promotion.request",
            {"env": "production", "name": "ranker", "version": 1, "source": "staging", "reason": "ok" + LONE},
            "reason",
        ),
        ("config.show", {"env": "staging", "overrides": ["a.b=" + LONE]}, "overrides"),
        (
            "model.register",
            {"env": "staging", "name": "ranker", "files": [{"path": "w" + LONE}], "params": {"k": "v"}},
            "files",
        ),
        ("model.register", {"env": "staging", "name": "ranker", "files": [], "tags": {LONE: "v"}}, "tags"),
    ],
)
def test_lone_surrogates_are_bad_input_naming_verb_and_argument(client_for, verb, arguments, argument):
    with pytest.raises(BadInput) as caught:
        client_for("alice").call(verb, **arguments)
    assert caught.value.message == _refused(verb, argument)
    assert "hunter2" not in caught.value.format_message()


def test_nothing_is_audited_for_a_refused_argument(client_for):
    alice = client_for("alice")
    before = len(alice.call("audit.list", limit=1000))
    with pytest.raises(BadInput):
        alice.call("secrets.set", env="staging", name="TOKEN", value=LONE)
    assert len(alice.call("audit.list", limit=1000)) == before


def test_the_cli_answers_undecodable_bytes_with_exit_2(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    stageward = str(Path(sys.executable).parent / "stageward")
    environ = {k: v for k, v in os.environ.items() if not k.startswith("STAGEWARD_")}
    environ.update(STAGEWARD_USER="alice", LC_ALL="C.UTF-8")

    def run(*args: str | bytes) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run([stageward, *args], cwd=tmp_path, env=environ, capture_output=True, timeout=60)

    assert run("init", "--project", "lp-x").returncode == 0
    # Python turns the byte 0xff of an argument into the lone surrogate \udcff.
    result = run("access", "grant", b"bob\xff", "viewer", "--env", "staging")
    assert result.returncode == 2, result.stderr
    assert result.stderr.decode() == "error: " + _refused("access.grant", "principal") + "\n"
