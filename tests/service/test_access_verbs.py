"""Grant, revoke, list and teams through the Client, on SQLite and PostgreSQL."""

import pytest

from stageward.errors import BadInput, Conflict, Denied, NotFound


def test_grant_lets_a_user_act_in_that_environment_only(client_for):
    alice, bob = client_for("alice"), client_for("bob")
    alice.call("access.grant", principal="bob", role="developer", env="development")
    assert [e["name"] for e in bob.call("env.list")] == ["development"]
    assert bob.call("env.show", env="development")["roles"] == ["developer"]
    with pytest.raises(Denied, match="denied: bob lacks env.read in production"):
        bob.call("env.show", env="production")


def test_grant_by_someone_without_access_manage_is_denied_and_audited(client_for):
    alice, bob = client_for("alice"), client_for("bob")
    alice.call("access.grant", principal="bob", role="deployer", env="staging")
    with pytest.raises(Denied) as caught:
        bob.call("access.grant", principal="bob", role="admin", env="staging")
    assert caught.value.exit_code == 3
    assert caught.value.message == "denied: bob lacks access.manage in staging"
    last = alice.call("audit.list", env="staging")[-1]
    assert (last["principal"], last["action"], last["outcome"]) == ("bob", "access.grant", "denied")
    assert last["details"]["permission"] == "access.manage"
    staging = alice.call("access.list", env="staging")
    assert [b for b in staging if b["role"] == "admin" and b["principal"] == "bob"] == []


def test_unknown_role_is_bad_input_and_nothing_is_written(client_for):
    alice = client_for("alice")
    before = len(alice.call("audit.list"))
    with pytest.raises(BadInput, match="unknown role 'wizard' \\(expected one of: viewer, developer"):
        alice.call("access.grant", principal="bob", role="wizard", env="development")
    assert len(alice.call("audit.list")) == before


def test_unknown_environment_is_not_found(client_for):
    with pytest.raises(NotFound, match="no environment 'prod' in the policy applied for lp-crosssell"):
        client_for("alice").call("access.grant", principal="bob", role="viewer", env="prod")


def test_malformed_principal(client_for):
    with pytest.raises(BadInput, match="principal 'Bob Smith' is not a valid name"):
        client_for("alice").call("access.grant", principal="Bob Smith", role="viewer", env="development")


def test_duplicate_grant_is_a_conflict_and_revoke_removes(client_for):
    alice, bob = client_for("alice"), client_for("bob")
    alice.call("access.grant", principal="bob", role="viewer", env="staging")
    with pytest.raises(Conflict, match="bob already holds viewer in staging"):
        alice.call("access.grant", principal="bob", role="viewer", env="staging")
    alice.call("access.revoke", principal="bob", role="viewer", env="staging")
    assert bob.call("env.list") == []
    with pytest.raises(NotFound, match="bob holds no viewer binding in staging"):
        alice.call("access.revoke", principal="bob", role="viewer", env="staging")


def test_team_bindings_reach_members_and_need_an_existing_team(client_for):
    alice, carol = client_for("alice"), client_for("carol")
    with pytest.raises(NotFound, match="no team 'lp'"):
        alice.call("access.grant", principal="team:lp", role="viewer", env="staging")
    alice.call("team.create", name="lp")
    alice.call("team.add_member", team="lp", member="carol")
    alice.call("access.grant", principal="team:lp", role="viewer", env="staging")
    assert [e["name"] for e in carol.call("env.list")] == ["staging"]
    teams = alice.call("team.list")
    assert teams[0]["name"] == "lp" and teams[0]["prefix"] == "lp-" and teams[0]["members"] == ["carol"]


def test_team_management_needs_access_manage_everywhere(client_for):
    alice, bob = client_for("alice"), client_for("bob")
    alice.call("access.grant", principal="bob", role="admin", env="development")
    with pytest.raises(Denied, match="bob lacks access.manage in sandbox"):
        bob.call("team.create", name="ml")


def test_team_errors(client_for):
    alice = client_for("alice")
    with pytest.raises(BadInput, match="team name 'ML' must match"):
        alice.call("team.create", name="ML")
    with pytest.raises(BadInput, match="--prefix 'Lp_' must match"):
        alice.call("team.create", name="lp", prefix="Lp_")
    alice.call("team.create", name="lp")
    with pytest.raises(Conflict, match="team 'lp' already exists"):
        alice.call("team.create", name="lp")
    with pytest.raises(NotFound, match="no team 'ml'"):
        alice.call("team.add_member", team="ml", member="bob")
    with pytest.raises(BadInput, match="a team cannot be a member of a team"):
        alice.call("team.add_member", team="lp", member="team:lp")


def test_roles_table_covers_every_permission(client_for):
    rows = client_for("bob").call("access.roles")
    assert [r["role"] for r in rows] == ["viewer", "developer", "deployer", "admin", "approver"]
    assert "access.manage" in rows[3]["permissions"]


def test_project_without_its_team_prefix_is_refused(tmp_path, store_url):
    from stageward.errors import ProjectFileError
    from stageward.testing import EXAMPLE_PROJECT, make_context, write_project

    write_project(tmp_path, EXAMPLE_PROJECT.replace("project: lp-crosssell", "project: crosssell"))
    ctx = make_context(tmp_path, store_url=store_url, environ={})
    with pytest.raises(ProjectFileError, match="project: 'crosssell' must start with team 'lp''s prefix 'lp-'"):
        ctx.database  # noqa: B018 - opening the store is what checks the rule
    ctx.close()


def test_registered_team_prefix_wins_over_the_default(tmp_path, store_url):
    from stageward.errors import ProjectFileError
    from stageward.testing import EXAMPLE_PROJECT, make_context, write_project

    write_project(tmp_path, EXAMPLE_PROJECT.replace("project: lp-crosssell", "project: loyalty-crosssell"))
    ctx = make_context(tmp_path, store_url=store_url, environ={})
    with pytest.raises(ProjectFileError, match="prefix 'lp-'"):
        ctx.database  # noqa: B018
    ctx.close()


def _state(client) -> tuple[list[tuple[str, str, str, str]], int]:
    bindings = [(b["principal"], b["role"], b["environment"], b["scope"]) for b in client.call("access.list")]
    return bindings, len(client.call("audit.list"))


def test_the_creators_star_binding_is_the_last_admin_and_is_kept(client_for):
    alice = client_for("alice")
    before = _state(alice)
    with pytest.raises(Conflict) as caught:
        alice.call("access.revoke", principal="alice", role="admin", all_environments=True)
    assert caught.value.exit_code == 5
    assert caught.value.message == (
        "alice's admin binding in every environment is the last admin of every environment; nothing was revoked"
    )
    assert caught.value.hint == (
        "grant admin there to someone else first: stageward access grant NAME admin --all-environments"
    )
    assert _state(alice) == before


def test_a_star_binding_is_revoked_once_another_admin_reaches_every_environment(client_for):
    alice, bob, carol = client_for("alice"), client_for("bob"), client_for("carol")
    for env in ("sandbox", "development", "staging", "production"):
        alice.call("access.grant", principal="bob", role="admin", env=env)
    # bob administers every environment the store holds, but none that joins it later.
    with pytest.raises(Conflict, match="is the last admin of environments that join the store later;"):
        alice.call("access.revoke", principal="alice", role="admin", all_environments=True)
    # Only an admin on '*' gives or takes a '*' binding: it reaches environments bob does not.
    with pytest.raises(Denied, match=r"bob lacks access.manage on every environment \('\*'\)"):
        bob.call("access.grant", principal="bob", role="admin", all_environments=True)
    granted = alice.call("access.grant", principal="carol", role="admin", all_environments=True)
    assert granted["environment"] == "*"
    revoked = carol.call("access.revoke", principal="alice", role="admin", all_environments=True)
    assert revoked == {
        "principal": "alice", "role": "admin", "environment": "*", "scope": "", "revoked_by": "carol"
    }
    assert ("alice", "admin", "*", "") not in _state(carol)[0]
    with pytest.raises(Denied, match="alice lacks access.manage in staging"):
        alice.call("access.grant", principal="dave", role="viewer", env="staging")
    last = carol.call("audit.list", action="access.revoke")[-1]
    assert (last["principal"], last["target"], last["environment"]) == ("carol", "alice", None)
    assert last["details"] == {"role": "admin", "scope": None, "environment": "*"}
    # Environment bindings stay revocable while someone else reaches the environment.
    carol.call("access.revoke", principal="bob", role="admin", env="staging")
    with pytest.raises(NotFound, match="alice holds no admin binding in every environment"):
        carol.call("access.revoke", principal="alice", role="admin", all_environments=True)


def test_a_teams_binding_counts_as_an_admin_only_with_members(client_for):
    alice = client_for("alice")
    alice.call("team.create", name="ops")
    alice.call("access.grant", principal="team:ops", role="admin", all_environments=True)
    alice.call("access.grant", principal="bob", role="admin", all_environments=True, team="ops")  # narrowed
    with pytest.raises(Conflict, match="last admin of every environment"):
        alice.call("access.revoke", principal="alice", role="admin", all_environments=True)
    alice.call("team.add_member", team="ops", member="erin")
    alice.call("access.revoke", principal="alice", role="admin", all_environments=True)
    assert [e["name"] for e in client_for("erin").call("env.list")] == [
        "sandbox", "development", "staging", "production"
    ]


def test_an_environments_last_admin_is_kept(client_for, context_for):
    from sqlalchemy import delete

    from stageward.store.db.schema import role_bindings

    alice = client_for("alice")
    for env in ("sandbox", "development", "staging", "production"):
        alice.call("access.grant", principal="bob", role="admin", env=env)
    alice.call("access.grant", principal="carol", role="admin", env="staging")
    # A store from before the rule, whose '*' binding was removed behind its back.
    with context_for("alice").database.transaction(write=True) as conn:
        conn.execute(delete(role_bindings).where(role_bindings.c.environment == "*"))
    bob = client_for("bob")
    bob.call("access.revoke", principal="carol", role="admin", env="staging")
    before = _state(bob)
    with pytest.raises(Conflict) as caught:
        bob.call("access.revoke", principal="bob", role="admin", env="production")
    assert caught.value.message == (
        "bob's admin binding in production is the last admin of production; nothing was revoked"
    )
    assert caught.value.hint == (
        "grant admin there to someone else first: stageward access grant NAME admin --env production"
    )
    assert _state(bob) == before


def test_revoke_names_one_environment_or_all(client_for):
    alice = client_for("alice")
    with pytest.raises(BadInput, match=r"name the binding's environment: --env ENV, or --all-environments"):
        alice.call("access.revoke", principal="alice", role="admin")
    with pytest.raises(BadInput, match="give --env ENV or --all-environments, not both"):
        alice.call("access.revoke", principal="alice", role="admin", env="staging", all_environments=True)
