"""Control characters a user typed are shown, never played: a --reason must not rewrite an approver's terminal."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import yaml

from stageward.cli import main as cli_main
from stageward.cli import render
from stageward.errors import BadInput
from stageward.testing import write_project
from tests.registry.support import run_cli

# Its tests share one store made by a module-scoped fixture, and so the configuration folder holding its key.
pytestmark = pytest.mark.shared_config_home

ATTACK = "x\x1b[2K\x1b[1A\x1b[32mAPPROVED"
# Every kind the renderer escapes: C0, DEL, C1 (\x9b is CSI on 8-bit terminals), bidi overrides and isolates.
NASTY = ["\x00", "\x07", "\x08", "\t", "\n", "\r", "\x1b", "\x7f", "\x85", "\x9b"]
NASTY += ["\u202a", "\u202e", "\u2066", "\u2069"]


@pytest.mark.parametrize("char", NASTY)
def test_printable_shows_each_as_a_visible_escape(char: str):
    shown = render.printable(f"a{char}b")
    assert char not in shown
    assert shown.startswith("a\\") and shown.endswith("b")


def test_printable_leaves_ordinary_text_alone():
    assert render.printable("café — naïve 日本 ✓ [bold]") == "café — naïve 日本 ✓ [bold]"
    assert render.printable(ATTACK) == "x\\x1b[2K\\x1b[1A\\x1b[32mAPPROVED"
    assert render.printable("a\nb\tc\u202ed") == "a\\nb\\tc\\u202ed"


def test_json_escapes_them_too_and_reads_back_the_same():
    data = {"reason": "".join(NASTY) + ATTACK}
    text = render.to_json(data)
    assert not any(char in text for char in NASTY if char != "\n")
    assert json.loads(text) == data
    line = render.to_json(data, indent=None, sort_keys=True)
    assert "\n" not in line and json.loads(line) == data


@pytest.mark.parametrize("number", [math.nan, math.inf, -math.inf])
def test_json_never_holds_nan_or_infinity(number: float):
    with pytest.raises(ValueError, match="not JSON compliant"):
        render.to_json({"metric": number})


def test_yaml_for_people_escapes_them_and_stays_the_same_yaml():
    data = {"a": ATTACK, "b": "caf\u00e9", "c": ["\u2066z\u202e", "\x9b"]}
    text = render.to_yaml(data)
    assert not any(char in text for char in NASTY if char != "\n")
    assert yaml.safe_load(text) == data
    assert "b: café" in text


def test_an_error_line_shows_control_characters_escaped(monkeypatch, capsys):
    def failing(**_: object) -> None:
        raise BadInput(f"name {ATTACK}: refused\nAPPROVED by everyone", hint="try \u202eagain")

    monkeypatch.setattr(cli_main, "app", failing)
    with pytest.raises(SystemExit) as leaving:
        cli_main.main([])
    assert leaving.value.code == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\u202e" not in err
    assert err == (
        "error: name x\\x1b[2K\\x1b[1A\\x1b[32mAPPROVED: refused\\nAPPROVED by everyone\n"
        "  hint: try \\u202eagain\n"
    )


def test_an_indented_continuation_line_of_our_own_stays_a_line():
    assert render.printable_message("f.yaml:3: bad\n  (and 2 more problems in this file)") == (
        "f.yaml:3: bad\n  (and 2 more problems in this file)"
    )


@pytest.fixture(scope="module")
def promotion(tmp_path_factory) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("control") / "project"
    write_project(root)
    (root / "m.bin").write_bytes(b"weights")
    store = f"sqlite:///{root / '.stageward' / 'stageward.db'}"
    done = run_cli(
        root, store, "alice", "model", "register", "ranker", "m.bin", "--env", "staging", "--metric", "auc=0.91"
    )
    assert done.returncode == 0, done.stderr
    opened = run_cli(
        root, store, "alice", "promote", "ranker", "1", "--from", "staging", "--to", "production", "--reason", ATTACK
    )
    assert opened.returncode == 0, opened.stderr
    assert "\x1b" not in opened.stdout
    return root, store


def test_promotion_show_piped_carries_no_escape_byte(promotion):
    root, store = promotion
    shown = run_cli(root, store, "alice", "promotion", "show", "1", extra={"COLUMNS": "300"})
    assert shown.returncode == 0, shown.stderr
    assert "\x1b" not in shown.stdout
    assert "x\\x1b[2K\\x1b[1A\\x1b[32mAPPROVED" in shown.stdout


def test_promotion_show_json_keeps_the_reason_exactly(promotion):
    root, store = promotion
    shown = run_cli(root, store, "alice", "promotion", "show", "1", "--json")
    assert shown.returncode == 0, shown.stderr
    assert "\x1b" not in shown.stdout
    assert json.loads(shown.stdout)["reason"] == ATTACK


def test_promotion_list_and_reject_comment(promotion):
    root, store = promotion
    listed = run_cli(root, store, "alice", "promotion", "list", extra={"COLUMNS": "300"})
    assert listed.returncode == 0 and "\x1b" not in listed.stdout, listed.stderr
    rejected = run_cli(root, store, "alice", "promotion", "reject", "1", "--comment", f"no{ATTACK}")
    assert rejected.returncode == 0 and "\x1b" not in rejected.stdout, rejected.stderr
    shown = run_cli(root, store, "alice", "promotion", "show", "1", extra={"COLUMNS": "300"})
    assert "\x1b" not in shown.stdout and "nox\\x1b[2K" in shown.stdout
