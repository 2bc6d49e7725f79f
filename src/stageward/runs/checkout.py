"""The facts a launcher reports of the code it is about to run."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Checkout:
    """What the launcher reports of the code it is about to run. Local mode trusts the machine (SPEC §2); on a
    server these are a key holder's word, recorded as reported (docs/runs.md says what that means)."""

    commit: str | None = None
    ref: str | None = None
    dirty: bool | None = None  # None: not a git working tree
    lockfile: str | None = None  # the text of the lockfile the scan names, as the launcher read it; None: no file
