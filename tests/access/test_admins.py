"""The last-admin rule as a pure function: which environments a set of bindings leaves without an admin."""

from stageward.access.admins import left_without_admin
from stageward.access.decide import Binding

ENVS = ["development", "production", "*"]


def test_a_star_admin_keeps_every_environment_and_those_to_come():
    assert left_without_admin([Binding("alice", "admin", "*")], ENVS, set()) == []


def test_an_environment_admin_keeps_only_its_environment():
    assert left_without_admin([Binding("bob", "admin", "production")], ENVS, set()) == ["development", "*"]


def test_narrowed_lesser_and_empty_team_bindings_keep_nothing():
    kept = [
        Binding("bob", "admin", "*", "team:lp"),  # narrowed: manages only lp's projects
        Binding("carol", "deployer", "*"),  # no access.manage
        Binding("team:ops", "admin", "*"),  # a team with no member reaches nobody
        Binding("spn:ci", "admin", "development"),  # a service principal can act through a key
    ]
    assert left_without_admin(kept, ENVS, set()) == ["production", "*"]
    assert left_without_admin(kept, ENVS, {"ops"}) == []
