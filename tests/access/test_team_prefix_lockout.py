"""team create with a prefix the current project (of that team) lacks would lock every command out of the project."""

from __future__ import annotations

import pytest

from stageward.errors import BadInput


def test_the_projects_own_team_cannot_get_a_prefix_the_project_lacks(client_for):
    alice = client_for("alice")  # the example project is lp-crosssell, team lp
    with pytest.raises(BadInput) as caught:
        alice.call("team.create", name="lp", prefix="zz-")
    assert caught.value.message == (
        "--prefix 'zz-': this project 'lp-crosssell' belongs to team 'lp' and does not carry that prefix; "
        "every command here would be refused"
    )
    assert alice.call("team.list") == []  # nothing written, and the project still answers
    assert alice.call("team.create", name="lp", prefix="lp-cross")["prefix"] == "lp-cross"
    assert alice.call("team.create", name="ml", prefix="zz-")["prefix"] == "zz-"  # other teams: any prefix
