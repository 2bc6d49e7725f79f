"""Configuration per environment (SPEC §4): layers and origins, interpolation, checks, flags, export.

The SDK call that returns an environment's resolved config is the function `stageward.config(env)`;
this package is named `configuration` so that importing it never hides that function.
"""

from __future__ import annotations

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
