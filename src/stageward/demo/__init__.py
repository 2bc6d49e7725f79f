"""`stageward demo`: build an example project and walk it from sandbox to production.

Each capability contributes its steps in its own module listed in STEP_MODULES;
every step checks what it observed, and the walk fails if any step misbehaves.
"""

from __future__ import annotations

import importlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from stageward.client import Client, LocalTransport
from stageward.errors import StagewardError

STEP_MODULES = [
    "stageward.demo.foundation",
    "stageward.demo.config",
    "stageward.demo.secrets",
    "stageward.demo.registry",
    "stageward.demo.runs",
    "stageward.demo.retrain",
    "stageward.demo.closing",  # last: the audit chain verified over every step
]
# What the walk unsets so that it works on its own folder; exploring the folder afterwards needs the same.
_FOREIGN = ("STAGEWARD_STORE", "STAGEWARD_BLOBS", "STAGEWARD_URL", "STAGEWARD_API_KEY", "STAGEWARD_ENV")


class StepFailed(Exception):
    pass


class Walk:
    """The example project, a Client per person, and a numbered log of steps."""

    def __init__(self, root: Path, say: Callable[[str], None]) -> None:
        self.root = root
        self.say = say
        self.number = 0
        self.failures: list[str] = []
        self._clients: dict[str, Client] = {}
        self.environ = {k: v for k, v in os.environ.items() if k not in _FOREIGN}

    def as_(self, principal: str) -> Client:
        """The client of PRINCIPAL: local mode trusts the machine, so the demo can play every person."""
        if principal not in self._clients:
            transport = LocalTransport(self.root, principal=principal, environ=self.environ)
            self._clients[principal] = Client(transport)
        return self._clients[principal]

    def step(self, title: str, action: Callable[[], str]) -> None:
        self.number += 1
        try:
            outcome = action()
        except (StepFailed, StagewardError, AssertionError) as exc:
            message = exc.format_message() if isinstance(exc, StagewardError) else str(exc)
            self.failures.append(f"{self.number}. {title}: {message}")
            self.say(f"  {self.number:>2}. {title}\n      FAILED: {message}")
            return
        self.say(f"  {self.number:>2}. {title}\n      {outcome}")

    def expect_error(self, error_type: type[StagewardError], call: Callable[[], Any]) -> StagewardError:
        try:
            call()
        except error_type as exc:
            return exc
        raise StepFailed(f"expected {error_type.__name__} (exit {error_type.exit_code}), but it succeeded")

    def close(self) -> None:
        for client in self._clients.values():
            client.close()


def run_demo(directory: Path | None, say: Callable[[str], None] = print) -> int:
    root = Path(directory) if directory else Path(tempfile.mkdtemp(prefix="stageward-demo-"))
    root.mkdir(parents=True, exist_ok=True)
    if any(root.iterdir()):
        from stageward.errors import Conflict

        raise Conflict(f"{root} is not empty; the demo builds its project in an empty folder")
    say(f"Stageward demo in {root}")
    walk = Walk(root, say)
    try:
        for module_name in STEP_MODULES:
            importlib.import_module(module_name).steps(walk)
    finally:
        walk.close()
    failed = len(walk.failures)
    if failed:
        say(f"\n{failed} step(s) misbehaved:")
        for failure in walk.failures:
            say(f"  {failure}")
    else:
        say(f"\nAll {walk.number} steps did what they should.")
    say(explore(root))
    return 1 if failed else 0


def explore(root: Path) -> str:
    """How to look around the demo's folder: as alice, who created its store; anyone else is denied."""
    import shlex

    unset = [name for name in _FOREIGN if name in os.environ]
    lines = [
        "",
        "Explore the demo project as alice, who created its store and is admin everywhere (bob, carol and",
        "dave hold the roles the walk granted them; anyone else, you included, is denied):",
        f"  cd {shlex.quote(str(root))}",
        *([f"  unset {' '.join(unset)}"] if unset else []),
        "  export STAGEWARD_USER=alice",
        "  stageward env list",
        "  stageward promotion list",
        "  stageward model show production/lp-ranker@champion --lineage",
        "  stageward audit list",
    ]
    return "\n".join(lines)
