"""Progress of long transfers, reported to whoever asked; the core never draws anything itself.

A face that wants a progress bar passes an object with these three methods (the CLI
draws one with Rich when stdout is a terminal). Remote transports do not carry it:
the server reports nothing back while it streams.
"""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    def start(self, label: str, total: int) -> None: ...

    def advance(self, size: int) -> None: ...

    def finish(self) -> None: ...


class NoProgress:
    def start(self, label: str, total: int) -> None:
        return None

    def advance(self, size: int) -> None:
        return None

    def finish(self) -> None:
        return None
