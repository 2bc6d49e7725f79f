"""A project's policy document: the controls of stageward.yaml that enforcement reads, in one canonical form.

Only what controls a passage is in it (environments with their tiers, edges, approvals, gates,
refs, clean tree, images, scan, quotas, data stores, blobs, alias protection, cost and
schedules, and the named rotation generators); configuration, pipelines and model paths stay
in the working copy. The digest is sha256 over the canonical JSON, so two documents that
enforce the same thing have the same digest whatever the YAML's layout.
"""

from __future__ import annotations

import hashlib
import json

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from stageward.errors import StoreError
from stageward.project.model import Environment, Generator, Project


class PolicyDocument(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    environments: dict[str, Environment] = Field(default_factory=dict)
    generators: dict[str, Generator] = Field(default_factory=dict)

    def canonical(self) -> str:
        return json.dumps(
            self.model_dump(mode="json", by_alias=True), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        )

    def digest(self) -> str:
        return "sha256:" + hashlib.sha256(self.canonical().encode("utf-8")).hexdigest()

    def environment(self, name: str) -> Environment | None:
        return self.environments.get(name)


def document_of(project: Project) -> PolicyDocument:
    """The working copy's policy: built from models already validated, so nothing is validated twice."""
    return PolicyDocument.model_construct(environments=project.environments, generators=project.generators)


def parse_document(text: str, *, where: str) -> PolicyDocument:
    """A stored document; one that no longer validates is a store problem, named, never half-enforced."""
    try:
        return PolicyDocument.model_validate_json(text)
    except (ValidationError, ValueError) as exc:
        raise StoreError(f"{where}: the stored policy does not validate ({str(exc).splitlines()[0]})") from None
