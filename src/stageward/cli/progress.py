"""A Rich progress bar for uploads, downloads and copies, when a person is watching.

The service layer never draws: it calls the three methods of registry.progress.Progress
on whatever object the face hands it. This one draws only when stdout is a terminal,
not with --json, and not in CI.
"""

from __future__ import annotations

import os
import sys
from typing import Any


class RichProgress:
    def __init__(self, console: Any = None) -> None:
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        self._bar = Progress(
            TextColumn("{task.description}", markup=False),  # labels carry file names, not markup
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=True,
        )
        self._task: Any = None

    def start(self, label: str, total: int) -> None:
        self.finish()
        if total <= 0:
            return
        self._bar.start()
        self._task = self._bar.add_task(label, total=total)

    def advance(self, size: int) -> None:
        if self._task is not None:
            self._bar.advance(self._task, size)

    def finish(self) -> None:
        if self._task is not None:
            self._bar.stop()
            self._bar.remove_task(self._task)
            self._task = None


def for_terminal(as_json: bool) -> RichProgress | None:
    """A progress bar when a person watches a terminal; None in --json, CI, or when piped."""
    if as_json or os.environ.get("CI") or not sys.stdout.isatty():
        return None
    return RichProgress()
