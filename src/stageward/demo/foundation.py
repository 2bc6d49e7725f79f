"""Demo steps of the foundation: a project, a team, people with roles, a denial and its audit entry."""

from __future__ import annotations

from stageward.demo import StepFailed, Walk
from stageward.errors import Denied


def steps(walk: Walk) -> None:
    alice = walk.as_("alice")
    bob = walk.as_("bob")

    def init() -> str:
        from stageward.scaffold import init_project

        made = init_project(walk.root, project="lp-crosssell", team="lp")
        return f"stageward init: {', '.join(made.files)}"

    walk.step("alice creates the project lp-crosssell for team lp", init)

    def environments() -> str:
        rows = alice.call("env.list")
        names = [row["name"] for row in rows]
        if names != ["sandbox", "development", "staging", "production"]:
            raise StepFailed(f"expected the four tiers in order, saw {names}")
        if rows[-1]["approvals"] != 2:
            raise StepFailed("production should require 2 approvals")
        return "alice (the store's creator) is admin everywhere: " + ", ".join(
            f"{r['name']} ({r['tier']})" for r in rows
        )

    walk.step("the store is created on first use; environments in tier order", environments)

    def team() -> str:
        alice.call("team.create", name="lp", prefix="lp-")
        for member in ("bob", "carol", "dave"):
            alice.call("team.add_member", team="lp", member=member)
        return "team lp (prefix lp-) with bob, carol, dave"

    walk.step("alice creates team lp and adds its members", team)

    def grants() -> str:
        alice.call("access.grant", principal="team:lp", role="developer", env="development")
        alice.call("access.grant", principal="bob", role="developer", env="staging")
        alice.call("access.grant", principal="carol", role="approver", env="production")
        alice.call("access.grant", principal="dave", role="approver", env="production")
        seen = [row["name"] for row in bob.call("env.list")]
        if seen != ["development", "staging"]:
            raise StepFailed(f"bob should see development and staging only, saw {seen}")
        return "team:lp develops in development, bob in staging, carol and dave approve production; bob sees " + (
            ", ".join(seen)
        )

    walk.step("alice grants roles per environment", grants)

    def denial() -> str:
        error = walk.expect_error(
            Denied, lambda: bob.call("access.grant", principal="bob", role="admin", env="production")
        )
        return f"exit {error.exit_code}: {error.message}"

    walk.step("bob tries to make himself admin of production", denial)

    def audited() -> str:
        entries = alice.call("audit.list", action="access.grant", env="production")
        denied = [e for e in entries if e["outcome"] == "denied" and e["principal"] == "bob"]
        if not denied:
            raise StepFailed("the denial is missing from the audit log")
        return f"audit entry {denied[-1]['sequence']}: bob access.grant production -> denied"

    walk.step("the denial is in the audit log", audited)
