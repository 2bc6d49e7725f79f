"""Stageward: environments for machine learning, and control of every passage between them.

The SDK surface is small: `config()` and `flag()` for code that runs in an
environment; inside a run `run_context()`, `log_metric()` and `register_model()`;
`Client` for every verb. Heavy modules load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Client", "RunContext", "__version__", "config", "flag", "log_metric", "register_model", "run_context"]

if TYPE_CHECKING:
    from stageward.client import Client
    from stageward.configuration.view import ConfigView
    from stageward.inside_run import RunContext


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


def run_context() -> RunContext:
    """Inside a run (`stageward run`): its environment, run id, config (secrets revealed) and data store URIs."""
    from stageward.inside_run import current

    return current()


def log_metric(key: str, value: float, *, step: int = 0) -> None:
    """Record metric KEY of the current run (needs STAGEWARD_RUN_ID: call it inside `stageward run`)."""
    from stageward.client import Client

    context = run_context()
    with Client() as client:
        client.call("runs.log_metric", run_id=context.run_id, key=key, value=value, step=step)


def register_model(
    name: str,
    path: str,
    *,
    metrics: dict[str, float] | None = None,
    params: dict[str, Any] | None = None,
    tags: dict[str, Any] | None = None,
) -> Any:
    """Register PATH as a new version of model NAME in the run's environment; the version records the run.
    Returns the version (`.ref`, `.version`, `.run`...)."""
    from stageward.client import Client

    context = run_context()
    with Client() as client:
        return client.result(
            "model.publish",
            env=context.environment,
            name=name,
            path=path,
            metrics=metrics,
            params=params,
            tags=tags,
            run=context.run_id,
        )


def __getattr__(name: str) -> Any:
    if name == "Client":
        from stageward.client import Client

        return Client
    if name == "RunContext":
        from stageward.inside_run import RunContext

        return RunContext
    raise AttributeError(f"module 'stageward' has no attribute {name!r}")
