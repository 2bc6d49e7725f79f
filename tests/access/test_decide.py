"""The pure access decision and the role table."""

from stageward.access.decide import Binding, decide, visible_environments
from stageward.access.roles import PERMISSIONS, ROLES


def test_deny_by_default():
    assert not decide("alice", "env.read", "production", [])


def test_binding_applies_only_in_its_environment():
    bindings = [Binding("bob", "developer", "development")]
    assert decide("bob", "runs.launch", "development", bindings)
    assert not decide("bob", "runs.launch", "production", bindings)


def test_role_carries_only_its_permissions():
    bindings = [Binding("bob", "developer", "development")]
    assert not decide("bob", "access.manage", "development", bindings)
    assert not decide("bob", "promotions.approve", "development", bindings)


def test_team_bindings_reach_members():
    bindings = [Binding("team:lp", "viewer", "staging")]
    assert decide("carol", "env.read", "staging", bindings, ["team:lp"])
    assert not decide("carol", "env.read", "staging", bindings, [])


def test_every_environment_binding():
    bindings = [Binding("alice", "admin", "*")]
    assert all(decide("alice", p, "anything", bindings) for p in PERMISSIONS)


def test_roles_are_ordered_and_approver_stands_beside():
    assert ROLES["viewer"] < ROLES["developer"] < ROLES["deployer"] < ROLES["admin"]
    assert "promotions.approve" in ROLES["approver"]
    assert "assets.register" not in ROLES["approver"]
    assert set().union(*ROLES.values()) == set(PERMISSIONS)


def test_visible_environments():
    bindings = [Binding("bob", "viewer", "staging")]
    assert visible_environments("bob", ["development", "staging"], bindings) == ["staging"]
