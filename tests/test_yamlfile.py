"""Safe YAML with lines: what a user gets for hostile or malformed files."""

from pathlib import Path

import pytest

from stageward.errors import BadInput, TooLarge
from stageward.yamlfile import load_yaml, load_yaml_file


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
