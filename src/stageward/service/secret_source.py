"""Where config finds an environment's secrets: the one seam between config and the secret store."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from stageward.configuration.secrets import SecretSource
    from stageward.service.unit import Unit


def secret_source_for(unit: Unit, env: str) -> SecretSource:
    """The secrets of ENV as config sees them: the encrypted store, team scope honoured, reveals audited."""
    # Imported here: the secret store loads SQLAlchemy and cryptography, which `config show` never needs.
    from stageward.service.secrets import SecretStoreSource

    return SecretStoreSource(unit, env)
