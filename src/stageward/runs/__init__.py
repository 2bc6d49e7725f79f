"""Runs behind guardrails: the checks before launch, the vulnerability scan, masking, cost, schedules, executors."""
