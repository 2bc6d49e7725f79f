"""Where config finds an environment's secrets: the one seam between config and the secret store."""

from __future__ import annotations

from typing import TYPE_CHECKING

from stageward.config.secrets import NoSecrets, SecretSource

if TYPE_CHECKING:
    from stageward.service.unit import Unit


def secret_source_for(unit: Unit, env: str) -> SecretSource:
    """The secrets of ENV as config sees them. A project with no secret store has none."""
    return NoSecrets(env)
