"""THE role -> permission table. Written once, here; `stageward access roles` prints it."""

from __future__ import annotations

PERMISSIONS: tuple[str, ...] = (
    "env.read",
    "config.read",
    "secrets.read_value",
    "secrets.write",
    "runs.launch",
    "runs.schedule",
    "assets.register",
    "assets.alias",
    "promotions.request",
    "promotions.approve",
    "access.manage",
    "audit.read",
)

_VIEWER = ("env.read", "config.read")
_DEVELOPER = (*_VIEWER, "runs.launch", "assets.register", "promotions.request")
_DEPLOYER = (*_DEVELOPER, "assets.alias", "runs.schedule", "secrets.read_value", "secrets.write")

# viewer < developer < deployer < admin; approver stands beside them: it may approve
# and read the audit trail, and nothing it holds lets it build what it approves.
ROLES: dict[str, frozenset[str]] = {
    "viewer": frozenset(_VIEWER),
    "developer": frozenset(_DEVELOPER),
    "deployer": frozenset(_DEPLOYER),
    "admin": frozenset(PERMISSIONS),
    "approver": frozenset((*_VIEWER, "promotions.approve", "audit.read")),
}

ROLE_ORDER: tuple[str, ...] = ("viewer", "developer", "deployer", "admin", "approver")


def permissions_of(role: str) -> frozenset[str]:
    return ROLES[role]
