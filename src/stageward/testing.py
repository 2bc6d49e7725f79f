"""Helpers for tests of Stageward and of code built on it: a project on disk, a pinned clock, a context."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from stageward.project.loader import load_project
from stageward.service.context import Context

EXAMPLE_PROJECT = """\
project: lp-crosssell
team: lp
config:
  dir: conf
  env_prefix: CROSSSELL_
  intentional_differences: [training.epochs, data.sample_fraction]
model_paths: ["src/crosssell/model/**", "conf/**"]
pipelines:
  train: python -m crosssell.train
environments:
  sandbox:
    tier: sandbox
    data:
      scratch: {uri: "file://./data/sandbox", access: read-write}
  development:
    tier: development
    promote_from: [sandbox]
    data:
      prod_sample: {uri: "s3://lp-prod/sample", access: read}
      dev_out:     {uri: "s3://lp-dev/out", access: read-write}
  staging:
    tier: staging
    promote_from: [development]
    refs: ["refs/heads/develop", "refs/tags/v*"]
    data:
      prod_features: {uri: "s3://lp-prod/features", access: read}
      staging_out:   {uri: "s3://lp-staging/out", access: read-write}
  production:
    tier: production
    promote_from: [staging]
    promotion:
      mode: copy
      approvals: 2
      gates:
        - {metric: auc, min: 0.80}
        - {metric: auc, max_drop: 0.01}
    refs: ["refs/heads/main", "refs/tags/v*"]
    require_clean_tree: true
    quotas: {max_concurrent_runs: 2, monthly_budget: 300}
    cost: {per_cpu_hour: 0.048, tags: {cost_center: CC-1234}}
    data:
      prod_features: {uri: "s3://lp-prod/features", access: read}
      prod_out:      {uri: "s3://lp-prod/out", access: read-write}
"""


@dataclass
class FrozenClock:
    """A clock that moves only when told to."""

    moment: datetime = field(default_factory=lambda: datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC))

    def now(self) -> datetime:
        return self.moment

    def advance(self, **delta: float) -> None:
        self.moment += timedelta(**delta)


def write_project(root: Path, text: str = EXAMPLE_PROJECT) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    path = root / "stageward.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def make_context(
    root: Path,
    *,
    principal: str = "alice",
    store_url: str | None = None,
    clock: FrozenClock | None = None,
    environ: dict[str, str] | None = None,
) -> Context:
    """A context on the project in ROOT (write one first), with its own store unless STORE_URL is given."""
    project = load_project(root / "stageward.yaml")
    env = dict(os.environ if environ is None else environ)
    return Context(
        project=project,
        principal=principal,
        store_url=store_url or f"sqlite:///{root / '.stageward' / 'stageward.db'}",
        environ=env,
        clock=clock or FrozenClock(),
    )
