"""The matrix built from each environment's overview (pure), and the live stream's cursors."""

from __future__ import annotations

from typing import Any

from stageward.web import matrix
from stageward.web.events import format_cursors, parse_cursors


def _held(alias: str, version: int, source: tuple[str, str, int] | None = None) -> dict[str, Any]:
    env, name, from_version = source if source else (None, None, None)
    return {
        "alias": alias, "version": version,
        "promoted_from": f"{env}/{name}:{from_version}" if source else None,
        "promoted_from_env": env, "promoted_from_name": name, "promoted_from_version": from_version,
    }


OVERVIEWS = {
    "staging": {"env": "staging", "assets": [
        {"name": "fraud", "kind": "model", "latest": 6, "aliases": [_held("champion", 6)]},
        {"name": "clicks", "kind": "dataset", "latest": 1, "aliases": []},
    ]},
    "production": {"env": "production", "assets": [
        {"name": "fraud", "kind": "model", "latest": 3, "aliases": [
            _held("champion", 3, ("staging", "fraud", 5)),
            _held("shadow", 2, ("staging", "fraud", 6)),
        ]},
    ]},
}


def test_rows_per_asset_cells_per_environment() -> None:
    rows = matrix.build(["staging", "production"], OVERVIEWS, kind=None, name=None)
    assert [(r.name, r.kind) for r in rows] == [("clicks", "dataset"), ("fraud", "model")]
    clicks, fraud = rows
    assert clicks.cells[1] is None
    assert [c.latest for c in fraud.cells if c] == [6, 3]


def test_a_version_is_marked_where_its_source_alias_moved_on() -> None:
    fraud = matrix.build(["staging", "production"], OVERVIEWS, kind="model", name=None)[0]
    production = fraud.cells[1]
    assert production is not None
    champion, shadow = production.holders
    assert champion.differs == "promoted from staging:5; staging@champion now holds 6"
    assert shadow.differs is None  # staging has no @shadow: nothing to differ from
    staging = fraud.cells[0]
    assert staging is not None and staging.holders[0].differs is None  # registered there: no source


def test_the_same_version_as_its_source_is_not_marked() -> None:
    same = {
        "staging": {"env": "staging", "assets": [{"name": "m", "kind": "model", "latest": 5,
                                                  "aliases": [_held("champion", 5)]}]},
        "production": {"env": "production", "assets": [{"name": "m", "kind": "model", "latest": 1,
                                                        "aliases": [_held("champion", 1, ("staging", "m", 5))]}]},
    }
    (row,) = matrix.build(["staging", "production"], same, kind=None, name=None)
    assert row.cells[1] is not None and row.cells[1].holders[0].differs is None


def test_filters_by_kind_and_part_of_the_name() -> None:
    assert [r.name for r in matrix.build(["staging"], OVERVIEWS, kind="dataset", name=None)] == ["clicks"]
    assert [r.name for r in matrix.build(["staging"], OVERVIEWS, kind=None, name="RAU")] == ["fraud"]
    assert matrix.build(["staging"], OVERVIEWS, kind=None, name="nothing") == []


def test_cursors_keep_only_held_environments_and_whole_numbers() -> None:
    held = ["staging", "production"]
    assert parse_cursors("staging:12,production:7", held) == {"staging": 12, "production": 7}
    assert parse_cursors("staging:12,sandbox:3,production:-1,production:x", held) == {"staging": 12}
    assert parse_cursors("staging:" + "9" * 18, held) == {"staging": int("9" * 18)}
    assert parse_cursors("staging:" + "9" * 19, held) == {}
    assert parse_cursors("staging:1" + "," * 2048, held) == {}
    assert parse_cursors(None, held) == {} and parse_cursors("", held) == {}
    assert format_cursors({"staging": 12, "production": 7}) == "production:7,staging:12"
