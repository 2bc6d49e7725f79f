"""A team-scoped secret is for the team's projects (SPEC §3).

From another team's project, asking for it by its exact scope (`secrets get NAME --team T`)
is an admin's deliberate act, not something secrets.read_value allows.
"""

from __future__ import annotations

import pytest

from stageward.errors import Denied


def test_a_deployer_cannot_read_another_teams_secret_by_naming_its_scope(client_for):
    alice, bob = client_for("alice"), client_for("bob")
    alice.call("team.create", name="lp")
    alice.call("team.create", name="ml")
    alice.call("secrets.set", env="staging", name="LP_KEY", value="lp-only-value", team="lp")
    alice.call("secrets.set", env="staging", name="ML_KEY", value="ml-only-value", team="ml")
    alice.call("access.grant", principal="bob", role="deployer", env="staging")
    # The project lp-crosssell carries lp's prefix: its team's secret is bob's to read, with or without --team.
    assert bob.call("secrets.get", env="staging", name="LP_KEY", team="lp")["value"] == "lp-only-value"
    with pytest.raises(Denied, match="denied: bob lacks access.manage in staging"):
        bob.call("secrets.get", env="staging", name="ML_KEY", team="ml")
    denied = [e for e in alice.call("audit.list", principal="bob") if e["outcome"] == "denied"]
    assert [(e["action"], e["target"]) for e in denied] == [("secrets.get", "ML_KEY")]
    assert alice.call("secrets.get", env="staging", name="ML_KEY", team="ml")["value"] == "ml-only-value"
