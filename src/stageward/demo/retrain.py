"""Demo steps of a retrain promotion (SPEC §6): bob's model goes to staging as it is, then to production
retrained: production's train pipeline runs at the version's commit, in a git worktree, with production's config,
behind production's guardrails; the version it registers passes the gates before @champion moves."""

from __future__ import annotations

from stageward.demo import StepFailed, Walk
from stageward.errors import Denied


def steps(walk: Walk) -> None:
    alice, bob, carol, dave = (walk.as_(p) for p in ("alice", "bob", "carol", "dave"))

    def to_staging() -> str:
        done = bob.result("promotion.request", env="staging", source="development", name="model", version=1)
        if done.state != "executed" or done.result != "staging/model:1":
            raise StepFailed(f"development/model:1 should be copied to staging at once; it is {done.state}")
        return f"{done.source} -> {done.result} ({done.mode}, no approval needed in staging)"

    walk.step("bob promotes the model he trained in development to staging, as it is", to_staging)

    def retrain() -> str:
        planned = bob.result("promotion.plan", env="production", source="staging", name="model", version=1,
                             mode="retrain")  # fmt: skip
        request = bob.result("promotion.request", env="production", source="staging", name="model", version=1,
                             mode="retrain", reason="production trains on its own config")  # fmt: skip
        carol.result("promotion.approve", id=request.id)
        refused = walk.expect_error(Denied, lambda: dave.result("promotion.approve", id=request.id))
        if "its retrain run did not start" not in refused.message:
            raise StepFailed(f"dave's approval should leave it approved for someone who may run: {refused.message}")
        done = alice.result("promotion.execute", id=request.id)
        if done.state != "executed" or done.run_id is None:
            raise StepFailed(f"the retrain should execute with its run; it is {done.state}: {done.note}")
        run = alice.result("runs.show", run_id=done.run_id).run
        source = alice.result("model.show", ref="staging/model:1")
        trained = alice.result("model.show", ref="production/model@champion")
        if run.environment != "production" or run.commit != source.git_commit or trained.run != run.id:
            raise StepFailed(
                f"the retrain run {run.id} should run in production at {source.git_commit} and register the "
                f"champion; it ran in {run.environment} at {run.commit}, the champion records {trained.run}"
            )
        auc, before = trained.metrics.get("auc"), source.metrics.get("auc")
        if auc is None or before is None or auc <= before:
            raise StepFailed(f"production's config (more epochs) should train a better model: {before} -> {auc}")
        return (
            f"plan: {planned.retrain}\n"
            f"      carol and dave approve; dave may not run in production, so it waits (exit {refused.exit_code})\n"
            f"      alice executes it: retrain run {run.id} in production at commit {str(run.commit)[:12]} "
            f"registered {trained.ref} (auc {before} -> {auc}), now @champion"
        )

    walk.step("bob requests a retrain promotion to production; carol and dave approve; alice runs it", retrain)
