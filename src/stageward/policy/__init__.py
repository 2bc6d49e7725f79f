"""The policy a project applies to the store: the controls of stageward.yaml, their digest, their changes."""
