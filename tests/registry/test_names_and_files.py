import math
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from stageward.errors import BadInput, CheckFailed
from stageward.registry.aliases import AliasMove, rollback_target
from stageward.registry.files import check_manifest, check_manifest_path, collect_files, destination_of
from stageward.registry.lineage import VersionKey, walk
from stageward.registry.names import Reference, check_alias, check_asset_name, parse_reference
from stageward.registry.values import check_metrics, parse_metrics


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ranker", Reference("ranker")),
        ("ranker:3", Reference("ranker", version=3)),
        ("ranker@champion", Reference("ranker", alias="champion")),
        ("production/ranker@champion", Reference("ranker", "production", alias="champion")),
        ("staging/ranker:12", Reference("ranker", "staging", version=12)),
    ],
)
def test_references(text, expected):
    assert parse_reference(text) == expected
    assert str(parse_reference(text)) == text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("../etc@champion", "environment '..' is not a valid"),
        ("prod/..", "asset name '..'"),
        ("a/b/c", "more than one '/'"),
        ("ranker:0", "positive whole number"),
        ("ranker:x", "version 'x'"),
        ("ranker:\u00b2", "version '\u00b2'"),
        ("ranker:99999999999999999999", "at most 2147483647"),
        ("ranker@Champion", "alias 'Champion'"),
        ("ranker@a:1", "not both"),
        ("", "got nothing"),
    ],
)
def test_bad_references(text, message):
    with pytest.raises(BadInput, match=message.replace("(", r"\(").replace(".", r"\.")):
        parse_reference(text)


@pytest.mark.parametrize("name", ["../x", "a/b", "/abs", "", "A", "a..b", "x" * 200])
def test_asset_names_refused(name):
    with pytest.raises(BadInput, match="asset name"):
        check_asset_name(name)


@pytest.mark.parametrize("alias", ["Champion", "a_b", "a/b", "..", "", "x" * 64, "a b"])
def test_aliases_refused(alias):
    with pytest.raises(BadInput, match=r"expected \[a-z0-9-\]\+"):
        check_alias(alias)


@pytest.mark.parametrize("path", ["../x", "a/../../x", "/etc/passwd", "a//b", "./a", "a\\b", "a\x00b", ""])
def test_manifest_paths_refused(path):
    with pytest.raises(BadInput, match="file name"):
        check_manifest_path(path)


def test_manifest_refuses_a_file_that_is_also_a_folder():
    digest = "0" * 64
    with pytest.raises(BadInput, match="is a file and also a folder"):
        check_manifest(
            [{"path": "a", "size": 1, "sha256": digest}, {"path": "a/b", "size": 1, "sha256": digest}]
        )


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, "0.9", True, None])
def test_metrics_must_be_finite_numbers(value):
    with pytest.raises(BadInput, match="metric auc: expected a finite number"):
        check_metrics({"auc": value})


@pytest.mark.parametrize("item", ["auc=nan", "auc=inf", "auc=-Infinity", "auc=good", "auc"])
def test_metric_arguments(item):
    with pytest.raises(BadInput, match="--metric"):
        parse_metrics([item])


def test_metric_arguments_parse():
    assert parse_metrics(["auc=0.91", "loss=1e-3"]) == {"auc": 0.91, "loss": 0.001}


def test_symlink_leaving_the_folder_is_refused(tmp_path: Path):
    (tmp_path / "secret").write_text("s")
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "ok.txt").write_text("ok")
    os.symlink(tmp_path / "secret", folder / "leak")
    with pytest.raises(BadInput, match="symlink leaves the uploaded folder"):
        collect_files(folder)


def test_symlink_inside_the_folder_is_followed(tmp_path: Path):
    folder = tmp_path / "model"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "w.bin").write_bytes(b"w")
    os.symlink(folder / "sub", folder / "again")
    names = [name for name, _ in collect_files(folder)]
    assert names == ["again/w.bin", "sub/w.bin"]


def test_symlink_loop_is_refused(tmp_path: Path):
    folder = tmp_path / "model"
    folder.mkdir()
    os.symlink(folder, folder / "loop")
    with pytest.raises(BadInput, match="symlink loop"):
        collect_files(folder)


def test_download_destination_stays_under_root(tmp_path: Path):
    assert destination_of(tmp_path, "a/b.txt") == (tmp_path / "a" / "b.txt").resolve()
    with pytest.raises(BadInput):
        destination_of(tmp_path, "../escape")


def test_rollback_is_a_stack():
    moves = [AliasMove("set", 1), AliasMove("set", 2), AliasMove("promote", 3)]
    assert rollback_target(moves) == 2
    moves.append(AliasMove("rollback", 2))
    assert rollback_target(moves) == 1
    moves.append(AliasMove("rollback", 1))
    assert rollback_target(moves) is None


@dataclass(frozen=True)
class _Step:
    ref: str
    promoted_from: VersionKey | None


def test_lineage_walks_back_and_detects_breaks():
    records = {
        VersionKey("production", "m", 1): _Step("production/m:1", VersionKey("staging", "m", 4)),
        VersionKey("staging", "m", 4): _Step("staging/m:4", None),
    }
    chain = walk(VersionKey("production", "m", 1), records.get)
    assert [c.ref for c in chain] == ["production/m:1", "staging/m:4"]
    del records[VersionKey("staging", "m", 4)]
    with pytest.raises(CheckFailed, match="which is missing"):
        walk(VersionKey("production", "m", 1), records.get)
