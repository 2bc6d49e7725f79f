"""The config digest (stable across key order and machines) and deterministic flag rollout."""

from __future__ import annotations

import hashlib
import re
from collections import Counter

import pytest

from stageward.configuration.digest import canonical, digest
from stageward.configuration.flags import bucket, evaluate
from stageward.errors import BadInput, NotFound


def test_digest_ignores_key_order_in_the_files(write, resolved):
    write("conf/base/main.yaml", "a: 1\nb: {x: 1.5, y: [1, 2]}\nname: Zürich\n")
    first = digest(resolved().values)
    write("conf/base/main.yaml", "name: Zürich\nb:\n  y: [1, 2]\n  x: 1.5\na: 1\n")
    assert digest(resolved().values) == first


def test_digest_is_pinned_so_every_machine_computes_the_same(write, resolved):
    write("conf/base/main.yaml", "a: 1\nb: {x: 1.5, y: [1, 2]}\nname: Zürich\npw: ${secret:PW}\n")
    values = resolved().values
    assert canonical(values) == '{"a":1,"b":{"x":1.5,"y":[1,2]},"name":"Zürich","pw":"${secret:PW}"}'.encode()
    assert digest(values) == "sha256:16862a4f351e7f302c94f59a8115339ff3126d751c2a6efd408dd912f32996f6"


def test_digest_changes_with_a_value_and_not_with_a_secret_value(write, resolved):
    write("conf/base/main.yaml", "a: 1\npw: ${secret:PW}\n")
    before = digest(resolved().values)
    write("conf/base/main.yaml", "a: 2\npw: ${secret:PW}\n")
    assert digest(resolved().values) != before


def test_bucket_matches_the_documented_formula_and_its_test_vectors():
    raw = hashlib.sha256(b"new_ranker:user-42").digest()
    assert bucket("new_ranker", "user-42") == int.from_bytes(raw[:8], "big") / 2**64
    # The vectors printed in docs/config.md, for ports to other languages.
    assert bucket("new_ranker", "user-1") == pytest.approx(0.5636272238913257, abs=1e-15)
    assert bucket("new_ranker", "user-42") == pytest.approx(0.7472113758644943, abs=1e-15)


def test_rollout_is_deterministic_monotonic_and_close_to_its_share():
    flags = {"ranker": {"value": True, "rollout": 0.25}}
    wider = {"ranker": {"value": True, "rollout": 0.5}}
    outcomes = Counter(evaluate(flags, "ranker", f"user-{i}") for i in range(10_000))
    assert 0.23 < outcomes[True] / 10_000 < 0.27
    for i in range(2_000):
        entity = f"user-{i}"
        assert evaluate(flags, "ranker", entity) == evaluate(flags, "flags.ranker", entity)
        if evaluate(flags, "ranker", entity):
            assert evaluate(wider, "ranker", entity), "an entity inside 25 % must stay inside 50 %"


def test_plain_values_defaults_and_edges():
    flags = {
        "color": "blue",
        "model": {"value": "v2", "rollout": 1},
        "off": {"value": True, "rollout": 0},
        "tier": {"value": "gold", "default": "basic", "rollout": 0.5},
    }
    assert evaluate(flags, "color") == "blue"
    assert evaluate(flags, "model") == "v2"
    assert evaluate(flags, "off") is False
    assert {evaluate(flags, "tier", i) for i in range(100)} == {"gold", "basic"}


def test_flag_errors():
    with pytest.raises(NotFound, match="no flag 'nope' under flags: \\(known: a\\)"):
        evaluate({"a": 1}, "nope")
    with pytest.raises(BadInput, match=re.escape("flags.r is rolled out to 0.3 of entities: pass entity_id")):
        evaluate({"r": {"value": True, "rollout": 0.3}}, "r")
    with pytest.raises(BadInput, match="rollout must be a number from 0 to 1, got a number outside that range"):
        evaluate({"r": {"value": True, "rollout": 1.5}}, "r", "u")
    with pytest.raises(BadInput, match="unknown: percent"):
        evaluate({"r": {"value": True, "rollout": 0.5, "percent": 3}}, "r", "u")
