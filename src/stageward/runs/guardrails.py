"""The guardrails of a launch, evaluated together: every failing one is reported, not the first only (pure)."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # For types only: the scan (packaging, tomllib) is imported where an environment declares one.
    from stageward.project.model import Environment
    from stageward.runs.scan import Finding

_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")


@dataclass(frozen=True)
class LaunchFacts:
    """What is known of a launch before it starts; the service gathers these, `evaluate` judges them."""

    environment: str
    permitted: bool
    principal: str
    ref: str | None
    dirty: bool | None  # None: not a git working tree
    image: str | None
    reads: Sequence[str] = ()
    writes: Sequence[str] = ()
    running: int = 0
    spent_this_month: float = 0.0
    estimate: float = 0.0
    findings: Sequence[Finding] = field(default_factory=tuple)
    scan_error: str | None = None


@dataclass(frozen=True)
class Failure:
    guardrail: str  # permission, ref, clean_tree, image, reads, writes, quota, budget, scan
    message: str


def evaluate(policy: Environment, facts: LaunchFacts) -> list[Failure]:
    """Every guardrail of POLICY that FACTS fail, in a fixed order (permission first)."""
    failures: list[Failure] = []
    if not facts.permitted:
        failures.append(Failure("permission", f"{facts.principal} lacks runs.launch in {facts.environment}"))
    failures += _ref(policy, facts)
    if policy.clean_tree_required and facts.dirty is not False:
        why = "the working tree has uncommitted changes" if facts.dirty else "this is not a git working tree"
        failures.append(Failure("clean_tree", f"a clean tree is required: {why}"))
    failures += _image(policy, facts.image)
    failures += _data(policy, facts)
    failures += _quotas(policy, facts)
    if facts.scan_error is not None:
        failures.append(Failure("scan", f"vulnerability scan could not run: {facts.scan_error}"))
    for finding in facts.findings:
        if finding.blocking:
            fixed = f", fixed in {finding.fixed}" if finding.fixed else ", no fixed version"
            failures.append(
                Failure(
                    "scan",
                    f"{finding.package} {finding.version}: {finding.advisory} ({finding.severity}{fixed})",
                )
            )
    return failures


def ref_allowed(patterns: Sequence[str], ref: str) -> bool:
    # fnmatchcase: refs are case-sensitive; `*` spans slashes as git's own refspec globs do in `refs/tags/*`.
    return any(fnmatch.fnmatchcase(ref, pattern) for pattern in patterns)


def _ref(policy: Environment, facts: LaunchFacts) -> list[Failure]:
    patterns = policy.required_refs
    if not patterns:
        return []
    allowed = ", ".join(patterns)
    if facts.ref is None:
        return [Failure("ref", f"no git ref (detached HEAD, no CI ref variable); {facts.environment} runs {allowed}")]
    if not ref_allowed(patterns, facts.ref):
        return [Failure("ref", f"ref {facts.ref} is not one {facts.environment} runs from ({allowed})")]
    return []


def image_allowed(listed: Sequence[str], image: str) -> bool:
    """IMAGE is pinned by digest and listed: exactly, or by its repository when the list names it without one."""
    if not _DIGEST.search(image):
        return False
    repository = image.split("@", 1)[0]
    return any(entry == image or (entry == repository and "@" not in entry) for entry in listed)


def _image(policy: Environment, image: str | None) -> list[Failure]:
    if policy.images is None:
        return []
    allowed = ", ".join(policy.images) or "none"
    if image is None:
        return [Failure("image", f"an image is required (--image), one of: {allowed}")]
    if not _DIGEST.search(image):
        return [Failure("image", f"image {image} is not pinned by digest (@sha256:...)")]
    if not image_allowed(policy.images, image):
        return [Failure("image", f"image {image} is not one of: {allowed}")]
    return []


def _data(policy: Environment, facts: LaunchFacts) -> list[Failure]:
    failures = []
    declared = ", ".join(sorted(policy.data)) or "none"
    for name in facts.reads:
        if name not in policy.data:
            failures.append(Failure("reads", f"reads {name}: no such data store in {facts.environment} ({declared})"))
    for name in facts.writes:
        store = policy.data.get(name)
        if store is None:
            failures.append(Failure("writes", f"writes {name}: no such data store in {facts.environment} ({declared})"))
        elif not store.writable:
            failures.append(Failure("writes", f"writes {name}: the data store is read-only in {facts.environment}"))
    return failures


def _quotas(policy: Environment, facts: LaunchFacts) -> list[Failure]:
    failures = []
    limit = policy.quotas.max_concurrent_runs
    if limit is not None and facts.running >= limit:
        failures.append(Failure("quota", f"{facts.running} of {limit} concurrent runs already running"))
    budget = policy.quotas.monthly_budget
    if budget is not None and facts.spent_this_month + facts.estimate > budget:
        failures.append(
            Failure(
                "budget",
                f"monthly budget {budget:.2f} would be exceeded: spent {facts.spent_this_month:.2f}"
                f" + this run's estimate {facts.estimate:.2f}",
            )
        )
    return failures
