"""`--mode auto`: copy when no file under `model_paths` changed between the source version's commit and the
current one, retrain otherwise; the files that decided it are named (pure).

`model_paths` are globs relative to the project: `*` and `?` stay within one path segment, `**` spans any
number of them (`src/model/**` is everything under src/model). Written here because fnmatch lets `*` cross `/`
and pathlib's `**` matching only arrived in Python 3.13.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache


@lru_cache(maxsize=256)
def _pattern(glob: str) -> re.Pattern[str]:
    parts = []
    index = 0
    while index < len(glob):
        if glob.startswith("**/", index):
            parts.append("(?:.*/)?")
            index += 3
        elif glob.startswith("**", index):
            parts.append(".*")
            index += 2
        elif glob[index] == "*":
            parts.append("[^/]*")
            index += 1
        elif glob[index] == "?":
            parts.append("[^/]")
            index += 1
        else:
            parts.append(re.escape(glob[index]))
            index += 1
    return re.compile("".join(parts) + r"\Z")


def matches(path: str, globs: Sequence[str]) -> bool:
    return any(_pattern(glob.removeprefix("./")).match(path) for glob in globs)


@dataclass(frozen=True)
class AutoChoice:
    mode: str  # copy | retrain
    reason: str
    deciding_files: list[str]


def choose_auto(changed: Iterable[str] | None, model_paths: Sequence[str], source_commit: str | None) -> AutoChoice:
    """Copy or retrain, from the files CHANGED since SOURCE_COMMIT (None: the comparison was impossible)."""
    if source_commit is None:
        return AutoChoice("retrain", "auto: the source version records no commit to compare with", [])
    if changed is None:
        return AutoChoice("retrain", f"auto: commit {source_commit[:12]} cannot be compared with HEAD here", [])
    if not model_paths:
        return AutoChoice("copy", "auto: stageward.yaml declares no model_paths, so nothing needs retraining", [])
    deciding = sorted(path for path in changed if matches(path, model_paths))
    if deciding:
        shown = ", ".join(deciding[:5]) + (f" and {len(deciding) - 5} more" if len(deciding) > 5 else "")
        return AutoChoice("retrain", f"auto: {len(deciding)} file(s) under model_paths changed since "
                          f"{source_commit[:12]}: {shown}", deciding)  # fmt: skip
    return AutoChoice("copy", f"auto: no file under model_paths changed since {source_commit[:12]}", [])
