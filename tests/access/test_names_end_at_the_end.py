"""A name pattern ending in `$` also matches before a trailing newline: every name check must match the whole text."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from stageward.access.principals import principal_kind
from stageward.client import Client
from stageward.errors import BadInput
from stageward.scaffold import check_project_name
from stageward.secrets.api_keys import split_key
from stageward.secrets.names import check_name


@pytest.mark.parametrize("name", ["bob\n", "spn:ci\n", "team:lp\n"])
def test_a_principal_with_a_trailing_newline_is_refused(name: str):
    with pytest.raises(BadInput, match="is not a valid name"):
        principal_kind(name)


def test_a_secret_name_with_a_trailing_newline_is_refused():
    with pytest.raises(BadInput, match="U\\+000A"):
        check_name("DB_PASSWORD\n")


def test_project_and_team_names_with_a_trailing_newline_are_refused():
    with pytest.raises(BadInput, match="--project"):
        check_project_name("lp-x\n", None)
    with pytest.raises(BadInput, match="--team"):
        check_project_name("lp-x", "lp\n")


def test_an_api_key_with_a_trailing_newline_is_not_well_formed():
    assert split_key("sw_development_" + "a" * 44) is not None
    assert split_key("sw_development_" + "a" * 44 + "\n") is None


def test_grant_and_team_verbs_refuse_a_trailing_newline(client_for: Callable[[str], Client]):
    alice = client_for("alice")
    with pytest.raises(BadInput, match="is not a valid name"):
        alice.access.grant(principal="bob\n", role="developer", env="development")
    with pytest.raises(BadInput, match="team name"):
        alice.team.create(name="lp\n")
    with pytest.raises(BadInput, match="--prefix"):
        alice.team.create(name="ml", prefix="ml-\n")
    assert [b.principal for b in alice.access.list()] == ["alice"]
    assert alice.team.list() == []
