"""Stageward: environments for machine learning, and control of every passage between them.

The SDK surface is small: `config()` and `flag()` for code that runs in an
environment, `Client` for every verb. Heavy modules load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Client", "__version__", "config", "flag"]

if TYPE_CHECKING:
    from stageward.client import Client
    from stageward.configuration.view import ConfigView


def config(env: str | None = None) -> ConfigView:
    """The resolved config of ENV (default: STAGEWARD_ENV), read-only, with attribute and item access.

    Inside a run (STAGEWARD_CONFIG set) it reads the resolved file the run was
    given; elsewhere it asks Stageward, which checks `config.read` and masks
    secrets as ***.
    """
    import os
    from pathlib import Path

    from stageward.configuration.view import ConfigView, read_resolved_file
    from stageward.errors import BadInput

    current = os.environ.get("STAGEWARD_ENV") or None
    name = env or current
    run_file = os.environ.get("STAGEWARD_CONFIG")
    if run_file and name == current:
        return read_resolved_file(Path(run_file), name)
    if not name:
        raise BadInput("stageward.config(): no environment; pass env='...' or set STAGEWARD_ENV")
    from stageward.client import Client

    with Client() as client:
        result = client.call("config.show", env=name)
    return ConfigView(result["config"], name)


def flag(name: str, entity_id: object = None, *, env: str | None = None) -> Any:
    """The value of feature flag NAME (a key under `flags.`) for ENTITY_ID, deterministic per entity."""
    from stageward.configuration.flags import evaluate

    section = config(env).get("flags")
    return evaluate(section if section is not None else {}, name, entity_id)


def __getattr__(name: str) -> Any:
    if name == "Client":
        from stageward.client import Client

        return Client
    raise AttributeError(f"module 'stageward' has no attribute {name!r}")
