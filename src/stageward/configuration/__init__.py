"""Configuration per environment (SPEC §4): layers and origins, interpolation, checks, flags, export.

`stageward.config(env)` is also the SDK call that returns an environment's
resolved config: this module is callable so that importing it never hides
that function.
"""

from __future__ import annotations

import sys
import types
from typing import Any

from stageward.configuration.model import ConfigError, Finding, Origin
from stageward.configuration.resolve import ConfigFiles, Resolved, resolve
from stageward.configuration.secrets import SecretSource

__all__ = [
    "ConfigError",
    "ConfigFiles",
    "Finding",
    "Origin",
    "Resolved",
    "SecretSource",
    "resolve",
]


class _CallableModule(types.ModuleType):
    def __call__(self, env: str | None = None) -> Any:
        from stageward import _sdk_config

        return _sdk_config(env)


sys.modules[__name__].__class__ = _CallableModule
