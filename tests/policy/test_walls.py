"""The attacks a security review made on a shared store (issue: walls), each tried and each held.

Two teams, two projects, one store (SQLite and PostgreSQL); every attempt is denied or has no
effect, nothing moves, and the denial is in the audit log.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import update

from stageward.errors import BadInput, CheckFailed, Conflict, Denied, NotFound, PartlyFailed, ProjectFileError
from stageward.store.db.schema_secrets import secrets
from stageward.testing import EXAMPLE_PROJECT
from tests.policy.conftest import ML_PROJECT, World, register


def _denials(world: World, principal: str, action: str) -> list[dict[str, object]]:
    return [
        e for e in world.audit(principal=principal) if e["action"] == action and e["outcome"] == "denied"
    ]


def test_approvals_zero_in_a_working_copy_does_not_loosen_production(world: World, model_file: Path):
    mine = world.checkout("bob", EXAMPLE_PROJECT.replace("approvals: 2", "approvals: 0"))
    ctx = world.context("bob", mine)
    from stageward.client import Client, LocalTransport

    bob = Client(LocalTransport(context=ctx))
    register(bob, "staging", "ranker", model_file, 0.91)
    request = bob.call("promotion.request", env="production", source="staging", name="ranker", version=1)
    assert request["state"] == "pending" and request["required_approvals"] == 2  # the store's 2, not his 0
    with pytest.raises(NotFound):
        bob.call("model.show", env="production", ref="ranker@champion")
    assert any("differs from the applied policy" in notice for notice in ctx.notices)
    with pytest.raises(Denied, match="bob lacks access.manage in production"):
        bob.call("policy.apply")
    assert _denials(world, "bob", "policy.apply")
    assert world.client("alice", world.lp).call("policy.show")["environments"]["production"]["approvals"] == 2


def test_gates_removed_in_a_working_copy_still_hold(world: World, model_file: Path):
    mine = world.checkout("bob", EXAMPLE_PROJECT.replace("        - {metric: auc, min: 0.80}\n", ""))
    bob = world.client("bob", mine)
    register(bob, "staging", "ranker", model_file, 0.5)
    with pytest.raises(CheckFailed, match=r"auc 0.5 < min 0.8"):
        bob.call("promotion.request", env="production", source="staging", name="ranker", version=1)


def test_an_admin_of_development_cannot_reach_the_store_by_listing_only_development(world: World):
    world.client("alice", world.lp).call("access.grant", principal="devadmin", role="admin", env="development")
    world.client("alice", world.lp).call("secrets.set", env="production", name="DB_PASSWORD", value="prod-value")
    only_dev = "project: lp-crosssell\nteam: lp\nenvironments:\n  development: {tier: development}\n"
    mine = world.checkout("devadmin", only_dev)
    devadmin = world.client("devadmin", mine)
    with pytest.raises(Denied, match="devadmin lacks access.manage in sandbox store-wide"):
        devadmin.call("team.add_member", team="lp", member="devadmin")
    assert "devadmin" not in {m for t in devadmin.call("team.list") for m in t["members"]}
    with pytest.raises(Denied, match="devadmin lacks secrets.read_value in production"):
        devadmin.call("secrets.get", env="production", name="DB_PASSWORD")
    assert _denials(world, "devadmin", "team.add_member") and _denials(world, "devadmin", "secrets.get")


def test_a_member_of_another_team_cannot_write_or_delete_a_teams_secret(world: World):
    alice = world.client("alice", world.lp)
    alice.call("secrets.set", env="production", name="LP_TOKEN", value="lp-value", team="lp")
    mallory = world.client("mallory", world.ml)
    with pytest.raises(Denied, match="mallory"):
        mallory.call("secrets.set", env="production", name="LP_TOKEN", value="mine", team="lp")
    with pytest.raises(Denied, match="mallory"):
        mallory.call("secrets.delete", env="production", name="LP_TOKEN", team="lp")
    with pytest.raises(Denied, match="mallory"):
        mallory.call("secrets.get", env="production", name="LP_TOKEN", team="lp")
    assert alice.call("secrets.get", env="production", name="LP_TOKEN")["value"] == "lp-value"
    assert len(_denials(world, "mallory", "secrets.set")) == 1 and _denials(world, "mallory", "secrets.delete")


def test_renaming_a_project_into_another_teams_prefix_gets_none_of_its_secrets(world: World):
    world.client("alice", world.lp).call("secrets.set", env="production", name="LP_TOKEN", value="lp", team="lp")
    # Declaring team lp: registering a project for a team needs its membership (denied, audited).
    claims_lp = ML_PROJECT.replace("project: ml-churn", "project: lp-evil").replace("team: ml", "team: lp")
    mallory = world.client("mallory", world.checkout("evil", claims_lp))
    with pytest.raises(Denied, match="registering 'lp-evil' for team lp needs membership of that team"):
        mallory.call("policy.apply")
    with pytest.raises(NotFound, match="'lp-evil' has no policy applied"):
        mallory.call("secrets.get", env="production", name="LP_TOKEN")
    assert _denials(world, "mallory", "policy.apply")
    # Keeping team ml: the name breaks ml's own prefix rule before anything is read.
    keeps_ml = ML_PROJECT.replace("project: ml-churn", "project: lp-evil")
    renamed = world.client("mallory", world.checkout("evil2", keeps_ml))
    with pytest.raises(ProjectFileError, match="'lp-evil' must start with team 'ml''s prefix 'ml-'"):
        renamed.call("secrets.get", env="production", name="LP_TOKEN")


def test_a_rotation_command_is_never_taken_from_whoever_sets_a_secret(world: World, tmp_path: Path):
    alice = world.client("alice", world.lp)
    alice.call("access.grant", principal="bob", role="deployer", env="staging")
    bob = world.client("bob", world.lp)
    planted = tmp_path / "ran-as-admin"
    with pytest.raises(BadInput, match="a command is never stored with a secret"):
        bob.call("secrets.set", env="staging", name="X", value="v", rotate_with=f"sh -c 'touch {planted}'",
                 expires_in="1d")
    # A command stored before this rule (written into the row) is reported, never run.
    bob.call("secrets.set", env="staging", name="X", value="v", expires_in="1d")
    ctx = world.context("alice", world.lp)
    with ctx.database.transaction(write=True) as conn:
        conn.execute(update(secrets).where(secrets.c.name == "X").values(rotate_with=f"sh -c 'touch {planted}'"))
    with pytest.raises(PartlyFailed, match="1 of 1 rotation") as caught:
        alice.call("secrets.rotate", env="staging")
    assert [(r["name"], r["outcome"]) for r in caught.value.result] == [("X", "failed")]
    assert "not random:N or a generator of the applied policy" in caught.value.result[0]["detail"]
    assert not planted.exists()


def test_loosening_production_is_approved_like_a_promotion(world: World):
    looser = world.checkout("alice-looser", EXAMPLE_PROJECT.replace("approvals: 2", "approvals: 1"))
    alice = world.client("alice", looser)
    planned = alice.call("policy.plan")
    assert planned["approval_needed"] == ["production"] and planned["approvals_required"] == 2
    opened = alice.call("policy.apply", reason="one approver is enough for this project")
    assert opened["state"] == "pending"
    with pytest.raises(Denied, match="cannot approve it"):
        alice.call("policy.approve", id=opened["request"])
    with pytest.raises(Denied, match="bob lacks promotions.approve in production"):
        world.client("bob", world.lp).call("policy.approve", id=opened["request"])
    assert alice.call("policy.show")["environments"]["production"]["approvals"] == 2  # not yet
    world.client("carol", world.lp).call("policy.approve", id=opened["request"])
    applied = world.client("dave", world.lp).call("policy.approve", id=opened["request"])
    assert applied["state"] == "applied"
    shown = alice.call("policy.show")
    assert shown["environments"]["production"]["approvals"] == 1 and shown["request"] == opened["request"]
    assert [v["request_id"] for v in alice.call("policy.history")] == [None, opened["request"]]


def test_tightening_applies_at_once_for_an_admin(world: World):
    stricter = world.checkout("alice-strict", EXAMPLE_PROJECT.replace("approvals: 2", "approvals: 3"))
    ctx = world.context("alice", stricter)
    from stageward.client import Client, LocalTransport

    Client(LocalTransport(context=ctx)).call("env.list")
    assert any("applied stageward.yaml to the store as version 2" in n for n in ctx.notices)
    assert world.client("bob", world.lp).call("env.list")[-1]["approvals"] == 3


def test_a_stale_policy_request_is_superseded_not_applied(world: World):
    looser = world.checkout("alice-looser", EXAMPLE_PROJECT.replace("approvals: 2", "approvals: 1"))
    opened = world.client("alice", looser).call("policy.apply")
    world.checkout("alice-strict", EXAMPLE_PROJECT.replace("approvals: 2", "approvals: 3"))
    world.client("alice", world.tmp / "checkouts" / "alice-strict").call("policy.apply")
    world.client("carol", world.lp).call("policy.approve", id=opened["request"])
    with pytest.raises(Conflict, match="superseded"):
        world.client("dave", world.lp).call("policy.approve", id=opened["request"])
    assert world.client("alice", world.lp).call("policy.show")["environments"]["production"]["approvals"] == 3


def test_a_new_project_cannot_start_below_the_production_defaults_without_approval(world: World):
    text = ML_PROJECT.replace("project: ml-churn", "ml-fraud".join(["project: ", ""])).replace(
        "    promote_from: [staging]\n", "    promote_from: [staging]\n    promotion: {approvals: 0}\n"
    )
    result = world.client("alice", world.checkout("fraud", text)).call("policy.apply")
    assert result["state"] == "pending" and result["approval_needed"] == ["production"]


def test_a_project_cannot_move_a_shared_environments_tier(world: World):
    text = ML_PROJECT.replace("project: ml-churn", "project: ml-other").replace(
        "  staging: {tier: staging, promote_from: [development]}\n", "  staging: {tier: development}\n"
    ).replace("    promote_from: [staging]\n", "")
    with pytest.raises(Conflict, match="staging: the store has it as staging, stageward.yaml says development"):
        world.client("alice", world.checkout("other", text)).call("policy.apply")


def test_a_binding_narrowed_to_a_team_gives_nothing_over_another_teams_project(world: World, model_file: Path):
    world.client("alice", world.lp).call("access.grant", principal="erin", role="deployer", env="staging", team="lp")
    register(world.client("erin", world.lp), "staging", "ranker", model_file, 0.9)
    with pytest.raises(Denied, match="erin lacks assets.register in staging"):
        register(world.client("erin", world.ml), "staging", "ranker", model_file, 0.9)
    assert _denials(world, "erin", "model.upload")


def test_two_projects_hold_the_same_name_in_one_environment_apart(world: World, model_file: Path, tmp_path: Path):
    register(world.client("bob", world.lp), "staging", "ranker", model_file, 0.9)
    other = tmp_path / "other.bin"
    other.write_bytes(b"other weights")
    register(world.client("mallory", world.ml), "staging", "ranker", other, 0.7)
    lp_version = world.client("bob", world.lp).call("model.show", env="staging", ref="ranker")
    ml_version = world.client("mallory", world.ml).call("model.show", env="staging", ref="ranker")
    assert (lp_version["version"], ml_version["version"]) == (1, 1)
    assert lp_version["metrics"] == {"auc": 0.9} and ml_version["metrics"] == {"auc": 0.7}
    # A reference may name the project; reading it needs a binding that reaches that project.
    seen = world.client("alice", world.ml).call("model.show", env="staging", ref="lp-crosssell:staging/ranker:1")
    assert seen["ref"] == "lp-crosssell:staging/ranker:1" and seen["metrics"] == {"auc": 0.9}
    with pytest.raises(Denied, match="mallory lacks env.read in staging"):
        world.client("mallory", world.ml).call("model.show", env="staging", ref="lp-crosssell:staging/ranker:1")


def test_a_protected_alias_moves_only_by_promotion_or_an_admins_rollback(world: World, model_file: Path):
    alice = world.client("alice", world.lp)
    alice.call("access.grant", principal="bob", role="deployer", env="production")
    bob = world.client("bob", world.lp)
    register(bob, "production", "ranker", model_file, 0.9)
    for who in (bob, alice):  # not even an admin moves it by hand
        with pytest.raises(Denied, match="alias champion is protected in production"):
            who.call("model.alias_set", env="production", name="ranker", version=1, alias="champion")
    assert _denials(world, "bob", "model.alias_set")
    # An executed promotion moves it; a deployer's rollback is refused, an admin's goes through.
    register(bob, "staging", "ranker", model_file, 0.9)
    register(bob, "staging", "ranker", model_file, 0.905)
    for version in (1, 2):
        request = bob.call("promotion.request", env="production", source="staging", name="ranker", version=version)
        world.client("carol", world.lp).call("promotion.approve", id=request["id"])
        world.client("dave", world.lp).call("promotion.approve", id=request["id"])
    assert alice.call("model.show", env="production", ref="ranker@champion")["version"] == 3
    with pytest.raises(Denied, match="bob lacks access.manage in production"):
        bob.call("model.rollback", env="production", name="ranker", alias="champion")
    assert alice.call("model.rollback", env="production", name="ranker", alias="champion")["version"] == 2


def test_a_pending_promotion_obeys_the_policy_applied_when_it_executes(world: World, model_file: Path):
    bob = world.client("bob", world.lp)
    register(bob, "staging", "ranker", model_file, 0.9)
    first = bob.call("promotion.request", env="production", source="staging", name="ranker", version=1)
    second = bob.call("promotion.request", env="production", source="staging", name="ranker", version=1)
    # Tightening applies at once: three approvals are now needed, also for requests already open.
    stricter = world.checkout("alice-strict", EXAMPLE_PROJECT.replace("approvals: 2", "approvals: 3"))
    world.client("alice", stricter).call("policy.apply")
    world.client("carol", world.lp).call("promotion.approve", id=first["id"])
    assert world.client("dave", world.lp).call("promotion.approve", id=first["id"])["state"] == "pending"
    # An edge the applied policy no longer has is refused when the promotion would execute.
    world.client("alice", world.lp).call("access.grant", principal="erin", role="approver", env="production")
    no_edge = world.checkout("alice-no-edge", EXAMPLE_PROJECT.replace("approvals: 2", "approvals: 3").replace(
        "    promote_from: [staging]\n", ""))
    world.client("alice", no_edge).call("policy.apply")
    for approver in ("carol", "dave"):
        world.client(approver, world.lp).call("promotion.approve", id=second["id"])
    with pytest.raises(CheckFailed, match="the applied policy no longer allows it"):
        world.client("erin", world.lp).call("promotion.approve", id=second["id"])
    with pytest.raises(NotFound):
        world.client("alice", world.lp).call("model.show", env="production", ref="ranker@champion")


def test_a_teams_maintainer_manages_its_members_and_no_one_elses(world: World):
    alice = world.client("alice", world.lp)
    alice.call("team.add_member", team="lp", member="lena", maintainer=True)
    lena = world.client("lena", world.lp)
    assert lena.call("team.add_member", team="lp", member="ole") == {"team": "lp", "member": "ole", "maintainer": False}
    lena.call("team.remove_member", team="lp", member="ole")
    with pytest.raises(Denied, match="lena lacks access.manage in sandbox store-wide"):
        lena.call("team.add_member", team="lp", member="ole", maintainer=True)  # naming maintainers is an admin's
    with pytest.raises(Denied, match="lena lacks access.manage"):
        lena.call("team.add_member", team="ml", member="lena")  # another team
    with pytest.raises(Denied, match="bob lacks access.manage"):
        world.client("bob", world.lp).call("team.add_member", team="lp", member="ole")  # a member, not a maintainer
    teams = {t["name"]: t for t in alice.call("team.list")}
    assert teams["lp"]["maintainers"] == ["lena"] and "ole" not in teams["lp"]["members"]
    assert "lena" not in teams["ml"]["members"]
    assert len(_denials(world, "lena", "team.add_member")) == 2 and _denials(world, "bob", "team.add_member")


def test_a_run_cannot_take_another_projects_blob_as_its_log(world: World, model_file: Path):
    """A blob's digest is no capability: with one blob store for staging (a shared bucket), a launcher naming the
    digest of lp's model as a chunk of its own run's log would read lp's bytes back through `runs logs`. It is
    answered exactly as a blob that is not there, so it does not even learn that the blob exists."""
    import base64
    import hashlib

    from stageward.client import Client, LocalTransport
    from stageward.testing import make_context

    shared = {
        "STAGEWARD_MASTER_KEY_FILE": str(world.key_file),
        "HOME": str(world.tmp / "home"),
        "STAGEWARD_BLOBS": f"file://{world.tmp / 'shared-blobs'}",
    }

    def client(principal: str, root: Path) -> Client:
        ctx = make_context(root, principal=principal, store_url=world.store_url, clock=world.clock, environ=shared)
        world.contexts.append(ctx)
        return Client(LocalTransport(context=ctx))

    register(client("bob", world.lp), "staging", "ranker", model_file, 0.9)
    digest = hashlib.sha256(model_file.read_bytes()).hexdigest()
    mallory = client("mallory", world.ml)
    begun = mallory.call(
        "runs.begin", env="staging", command=["train"], commit="a" * 40, ref="refs/heads/main", dirty=False
    )
    run_id = begun["run"]["id"]
    with pytest.raises(NotFound) as refused:
        mallory.call("runs.beat", run_id=run_id, log_blob=digest)
    missing = "f" * 64
    with pytest.raises(NotFound) as absent:
        mallory.call("runs.beat", run_id=run_id, log_blob=missing)
    assert refused.value.message == absent.value.message.replace(missing[:12], digest[:12])
    assert base64.b64decode(mallory.call("runs.logs", run_id=run_id)["data"]) == b""
    # Its own output, stored in the same store, is taken.
    writer = world.contexts[-1].blob_store("staging").open_write()
    writer.write(b"epoch 1 loss 0.3\n")
    own = writer.commit().sha256
    mallory.call("runs.beat", run_id=run_id, log_blob=own)
    assert base64.b64decode(mallory.call("runs.logs", run_id=run_id)["data"]) == b"epoch 1 loss 0.3\n"
