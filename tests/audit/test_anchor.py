"""Anchors as text: the JSON `audit anchor` writes, the one-line form, and files that are neither."""

import json
from pathlib import Path

import pytest

from stageward.audit.anchor import FORMAT, Anchor, parse_anchor, read_anchor
from stageward.errors import BadInput

HASH = "ab" * 32
NOT_A_NUMBER = "the anchor's sequence is not an entry number"


def test_the_json_and_the_line_form_read_the_same():
    written = json.dumps({"format": FORMAT, "sequence": 12, "hash": HASH, "time": "t", "store": "s"})
    assert parse_anchor(written, source="x") == parse_anchor(f"12:{HASH}\n", source="x") == Anchor(12, HASH)
    assert Anchor(12, HASH).line() == f"12:{HASH}"


def test_read_anchor_takes_the_line_or_a_file(tmp_path: Path):
    assert read_anchor(f"7:{HASH}") == Anchor(7, HASH)
    path = tmp_path / "anchor.json"
    path.write_text(json.dumps({"format": FORMAT, "sequence": 7, "hash": HASH}))
    assert read_anchor(str(path)) == Anchor(7, HASH)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "is not an audit anchor: expected the JSON"),
        ("hello", "is not an audit anchor: expected the JSON"),
        (f"0:{HASH}", "is not an audit anchor: expected the JSON"),
        (f"7:{HASH.upper()}", "is not an audit anchor: expected the JSON"),
        (json.dumps({"sequence": 7, "hash": HASH}), 'is not an audit anchor (no "format"'),
        (json.dumps([FORMAT, 7, HASH]), 'is not an audit anchor (no "format"'),
        (json.dumps({"format": FORMAT, "sequence": "7", "hash": HASH}), NOT_A_NUMBER),
        (json.dumps({"format": FORMAT, "sequence": True, "hash": HASH}), NOT_A_NUMBER),
        (json.dumps({"format": FORMAT, "sequence": 0, "hash": HASH}), NOT_A_NUMBER),
        (json.dumps({"format": FORMAT, "sequence": 7, "hash": "ab"}), "the anchor's hash is not 64 lowercase hex"),
    ],
)
def test_a_malformed_anchor_file_is_bad_input_naming_it(tmp_path: Path, content: str, message: str):
    path = tmp_path / "anchor.json"
    path.write_text(content)
    with pytest.raises(BadInput) as caught:
        read_anchor(str(path))
    assert caught.value.exit_code == 2
    assert caught.value.message.startswith(f"anchor file {path}")
    assert message in caught.value.message


def test_missing_huge_binary_and_folder_anchor_files(tmp_path: Path):
    cases = {
        tmp_path / "absent.json": "does not exist",
        tmp_path: "is a folder",
    }
    huge = tmp_path / "huge.json"
    huge.write_bytes(b" " * (64 * 1024 + 1))
    cases[huge] = "larger than 64 KiB"
    binary = tmp_path / "binary"
    binary.write_bytes(b"\xff\xfe")
    cases[binary] = "not UTF-8 text"
    for path, message in cases.items():
        with pytest.raises(BadInput, match=message) as caught:
            read_anchor(str(path))
        assert caught.value.message.startswith(f"anchor file {path}")
