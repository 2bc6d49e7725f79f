"""What code inside a run knows of it: read from the variables `stageward run` sets (SDK, no store needed)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from stageward.configuration.view import ConfigView, read_resolved_file
from stageward.errors import BadInput

_DATA_PREFIX = "STAGEWARD_DATA_"


@dataclass(frozen=True)
class RunContext:
    environment: str
    run_id: str
    config: ConfigView
    data: dict[str, str]  # data store name (lower case) -> URI, for the stores the run may use


def current() -> RunContext:
    environment = os.environ.get("STAGEWARD_ENV")
    run_id = os.environ.get("STAGEWARD_RUN_ID")
    path = os.environ.get("STAGEWARD_CONFIG")
    if not environment or not run_id or not path:
        raise BadInput(
            "not inside a run: STAGEWARD_ENV, STAGEWARD_RUN_ID and STAGEWARD_CONFIG are set by `stageward run`"
        )
    data = {
        name.removeprefix(_DATA_PREFIX).lower(): uri
        for name, uri in os.environ.items()
        if name.startswith(_DATA_PREFIX)
    }
    return RunContext(environment, run_id, read_resolved_file(Path(path), environment), dict(sorted(data.items())))
