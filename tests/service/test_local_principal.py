"""Local mode's principal comes from STAGEWARD_USER or the OS user.

A name that cannot be a principal is refused up front, naming where it came from,
instead of acting (and being audited) under a name no one can grant to.
"""

from __future__ import annotations

import getpass

import pytest

from stageward.errors import BadInput
from stageward.service.context import local_principal


@pytest.mark.parametrize("name", ["alice", "spn:ci-deployer"])
def test_users_and_service_principals_act(name: str):
    assert local_principal({"STAGEWARD_USER": name}) == name


@pytest.mark.parametrize("name", ["Bad User", "team:lp", "alice\n", "ålice"])
def test_stageward_user_that_is_no_acting_principal_is_refused(name: str):
    with pytest.raises(BadInput) as caught:
        local_principal({"STAGEWARD_USER": name})
    assert caught.value.message.startswith(f"STAGEWARD_USER {name!r} is not a principal that can act")
    assert caught.value.exit_code == 2


def test_an_os_user_that_is_no_principal_is_refused(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(getpass, "getuser", lambda: "John Doe")
    with pytest.raises(BadInput, match="the OS user 'John Doe' is not a principal that can act") as caught:
        local_principal({})
    assert caught.value.hint is not None and "STAGEWARD_USER" in caught.value.hint
