"""Guardrails judged together: every failure listed, each bound tested at its edge (pure)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from stageward.project.model import Environment
from stageward.runs.guardrails import LaunchFacts, evaluate, image_allowed
from stageward.runs.scan import Finding

DIGEST = "@sha256:" + "a" * 64
PRODUCTION = Environment.model_validate(
    {
        "tier": "production",
        "images": ["ghcr.io/acme/train" + DIGEST, "ghcr.io/acme/any"],
        "quotas": {"max_concurrent_runs": 2, "monthly_budget": 10},
        "data": {"features": {"uri": "s3://p/f", "access": "read"}, "out": {"uri": "s3://p/o", "access": "read-write"}},
    }
)
GOOD = LaunchFacts(
    environment="production",
    permitted=True,
    principal="alice",
    ref="refs/heads/main",
    dirty=False,
    image="ghcr.io/acme/train" + DIGEST,
    reads=["features"],
    writes=["out"],
    running=1,
    spent_this_month=6.0,
    estimate=4.0,
)


def _kinds(facts: LaunchFacts) -> list[str]:
    return [f.guardrail for f in evaluate(PRODUCTION, facts)]


def test_a_launch_within_every_bound_passes():
    assert evaluate(PRODUCTION, GOOD) == []  # spent + estimate == budget exactly: allowed


def test_every_failure_is_listed_together_permission_first():
    bad = replace(
        GOOD,
        permitted=False,
        ref="refs/heads/feature",
        dirty=True,
        image="ghcr.io/acme/train:latest",
        reads=["nope"],
        writes=["features"],
        running=2,
        spent_this_month=6.01,
        findings=[Finding("urllib3", "1.0", "GHSA-x", "HIGH", "1.26.18", "", True)],
    )
    failures = evaluate(PRODUCTION, bad)
    assert [f.guardrail for f in failures] == [
        "permission",
        "ref",
        "clean_tree",
        "image",
        "reads",
        "writes",
        "quota",
        "budget",
        "scan",
    ]
    messages = "\n".join(f.message for f in failures)
    assert "alice lacks runs.launch in production" in messages
    assert "ref refs/heads/feature is not one production runs from (refs/heads/main, refs/tags/*)" in messages
    assert "image ghcr.io/acme/train:latest is not pinned by digest" in messages
    assert "writes features: the data store is read-only in production" in messages
    assert "2 of 2 concurrent runs already running" in messages
    assert "urllib3 1.0: GHSA-x (HIGH, fixed in 1.26.18)" in messages


@pytest.mark.parametrize(("running", "refused"), [(1, False), (2, True), (3, True)])
def test_concurrency_bound(running: int, refused: bool):
    assert ("quota" in _kinds(replace(GOOD, running=running))) is refused


@pytest.mark.parametrize(("spent", "refused"), [(5.99, False), (6.0, False), (6.000001, True)])
def test_budget_bound(spent: float, refused: bool):
    assert ("budget" in _kinds(replace(GOOD, spent_this_month=spent))) is refused


def test_not_a_git_tree_and_no_ref_fail_where_required():
    facts = replace(GOOD, dirty=None, ref=None)
    kinds = evaluate(PRODUCTION, facts)
    assert [f.guardrail for f in kinds] == ["ref", "clean_tree"]
    assert "not a git working tree" in kinds[1].message


def test_a_sandbox_requires_nothing_but_the_permission():
    sandbox = Environment.model_validate({"tier": "sandbox"})
    loose = replace(GOOD, ref=None, dirty=True, image=None, reads=[], writes=[], running=99)
    assert evaluate(sandbox, loose) == []
    assert [f.guardrail for f in evaluate(sandbox, replace(loose, permitted=False))] == ["permission"]


def test_images_pinned_and_listed():
    listed = PRODUCTION.images or []
    assert image_allowed(listed, "ghcr.io/acme/train" + DIGEST)
    assert not image_allowed(listed, "ghcr.io/acme/train@sha256:" + "b" * 64)  # another digest of a pinned entry
    assert image_allowed(listed, "ghcr.io/acme/any@sha256:" + "b" * 64)  # a repository listed without digest
    assert not image_allowed(listed, "ghcr.io/acme/any:latest")
    assert not image_allowed(listed, "ghcr.io/acme/any@sha256:" + "b" * 63)
    assert not image_allowed(listed, "ghcr.io/acme/anything@sha256:" + "b" * 64)
    assert _kinds(replace(GOOD, image=None)) == ["image"]


def test_a_tag_ref_matches_its_glob():
    assert _kinds(replace(GOOD, ref="refs/tags/v1.2")) == []
    assert _kinds(replace(GOOD, ref="refs/heads/mainline")) == ["ref"]
