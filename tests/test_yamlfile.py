"""Safe YAML with lines: what a user gets for hostile or malformed files."""

import time
from pathlib import Path

import pytest

from stageward.errors import BadInput, TooLarge
from stageward.yamlfile import MAX_EXPANDED_BYTES, MAX_INT_DIGITS, load_yaml, load_yaml_file


def test_keeps_the_line_of_every_key_and_item():
    loaded = load_yaml("a:\n  b: 1\n  c:\n    - x\n    - y\n", "f.yaml")
    assert loaded.data == {"a": {"b": 1, "c": ["x", "y"]}}
    assert loaded.lines[("a", "b")] == 2
    assert loaded.lines[("a", "c", 1)] == 5
    assert loaded.where(("a", "c", 1, "missing")) == "f.yaml:5"


def test_object_constructing_tags_are_refused_with_their_line():
    refused = r"f.yaml:2: tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed"
    with pytest.raises(BadInput, match=refused):
        load_yaml("a: 1\nb: !!python/object/apply:os.system ['echo hi']\n", "f.yaml")


def test_custom_tags_are_refused():
    with pytest.raises(BadInput, match=r"f.yaml:1: tag '!secret' is not allowed"):
        load_yaml("a: !secret x\n", "f.yaml")


def test_billion_laughs_is_refused_naming_the_file():
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 9):
        refs = ",".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    with pytest.raises(TooLarge, match=r"bomb.yaml: document expands past"):
        load_yaml("\n".join(lines) + "\n", "bomb.yaml")


def test_recursive_alias_is_refused():
    with pytest.raises(BadInput, match="recursive alias"):
        load_yaml("a: &x [1, *x]\n", "r.yaml")


def test_duplicate_keys_are_errors():
    with pytest.raises(BadInput, match=r"d.yaml:3: duplicate key 'a'"):
        load_yaml("a: 1\nb: 2\na: 3\n", "d.yaml")


def test_syntax_error_names_file_and_line():
    with pytest.raises(BadInput, match=r"^s.yaml:2: "):
        load_yaml("a: [1, 2\nb: 3\n", "s.yaml")


def test_several_documents_are_refused():
    with pytest.raises(BadInput, match="expected a single YAML document"):
        load_yaml("a: 1\n---\nb: 2\n", "m.yaml")


def test_oversized_file_is_refused_before_reading(tmp_path: Path):
    big = tmp_path / "big.yaml"
    with big.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)
    with pytest.raises(TooLarge, match="big.yaml: 52428800 bytes is over"):
        load_yaml_file(big)


def test_dates_stay_text_and_merge_keys_work():
    loaded = load_yaml("base: &b {x: 1, y: 2}\nd: 2026-11-25\nc:\n  <<: *b\n  y: 3\n", "m.yaml")
    assert loaded.data["d"] == "2026-11-25"
    assert loaded.data["c"] == {"x": 1, "y": 3}


def test_non_utf8_file(tmp_path: Path):
    path = tmp_path / "latin.yaml"
    path.write_bytes(b"a: caf\xe9\n")
    with pytest.raises(BadInput, match="not UTF-8"):
        load_yaml_file(path)


def _scalar_bomb() -> str:
    """One 1 MB scalar behind 20,000 aliases: 20,001 nodes, under the node bound, 20 GB once expanded."""
    return "a: &a " + "x" * (1 << 20) + "\nb: [" + ", ".join(["*a"] * 20_000) + "]\n"


def test_a_large_scalar_behind_many_aliases_is_refused_quickly_naming_the_file():
    started = time.monotonic()
    with pytest.raises(TooLarge) as caught:
        load_yaml(_scalar_bomb(), "bomb.yaml")
    assert caught.value.exit_code == 2
    assert caught.value.message == (
        f"bomb.yaml: document expands past {MAX_EXPANDED_BYTES} bytes of text (alias expansion); refused"
    )
    assert time.monotonic() - started < 2  # a sanity bound: it used to run 40 s into a MemoryError


def test_large_keys_behind_aliases_count_too():
    key = "k" * 1000
    text = f"a: &a {{{key}: 1}}\nb: [" + ", ".join(["*a"] * 17_000) + "]\n"
    with pytest.raises(TooLarge, match="expands past"):
        load_yaml(text, "keys.yaml")


def test_text_under_the_bound_expands_as_written():
    loaded = load_yaml("a: &a " + "x" * 1000 + "\nb: [" + ", ".join(["*a"] * 1000) + "]\n", "ok.yaml")
    assert len(loaded.data["b"]) == 1000 and loaded.data["b"][0] == "x" * 1000


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("a:\n  b: " + "9" * 10_000 + "\n", "n.yaml:2 a.b"),
        ("a: -" + "1_000" * 1_200 + "\n", "n.yaml:1 a"),
        ("a: [1, 0x" + "f" * 5_000 + "]\n", "n.yaml:1 a.1"),
        ("a: " + ":".join(["59"] * 3_000) + "\n", "n.yaml:1 a"),
    ],
)
def test_an_integer_too_long_to_print_names_file_line_and_key(text: str, where: str):
    with pytest.raises(BadInput) as caught:
        load_yaml(text, "n.yaml")
    assert caught.value.message == (
        f"{where}: an integer of more than {MAX_INT_DIGITS} digits is refused (quote it to keep it as text)"
    )


def test_a_long_integer_under_the_bound_and_quoted_digits_are_read():
    assert load_yaml("a: " + "9" * 1000 + "\n", "n.yaml").data["a"] == int("9" * 1000)
    assert load_yaml("a: '" + "9" * 10_000 + "'\n", "n.yaml").data["a"] == "9" * 10_000


@pytest.mark.parametrize("number", ["1.0e+400", "-1.0e+999", ".inf", "-.Inf", ".nan"])
def test_numbers_without_a_json_form_are_refused(number: str):
    with pytest.raises(BadInput) as caught:
        load_yaml(f"x:\n  y: {number}\n", "f.yaml")
    assert caught.value.message.startswith("f.yaml:2 x.y: expected a finite number: .inf, .nan and floats")
    assert load_yaml(f"x: '{number}'\n", "f.yaml").data == {"x": number}
