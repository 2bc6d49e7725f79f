"""Principal names: users (`alice`), service principals (`spn:name`) and teams (`team:name`)."""

from __future__ import annotations

import re
from typing import Literal

from stageward.errors import BadInput

PrincipalKind = Literal["user", "service", "team"]

_USER = re.compile(r"^[a-z_][a-z0-9._-]{0,63}$")
_SUFFIX = re.compile(r"^[a-z][a-z0-9-]{0,62}$")


def principal_kind(name: str) -> PrincipalKind:
    """The kind of a principal name; a malformed name is bad input."""
    if name.startswith("spn:") and _SUFFIX.fullmatch(name[4:]):
        return "service"
    if name.startswith("team:") and _SUFFIX.fullmatch(name[5:]):
        return "team"
    if _USER.fullmatch(name):
        return "user"
    raise BadInput(
        f"principal {name!r} is not a valid name",
        hint="use a user name (alice), spn:NAME for a service principal, or team:NAME",
    )


def team_principal(team: str) -> str:
    return team if team.startswith("team:") else f"team:{team}"


def team_name(principal: str) -> str:
    return principal.removeprefix("team:")
