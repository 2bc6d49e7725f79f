"""audit list --since: a time the store can compare exactly, or bad input; never a silent empty answer."""

from __future__ import annotations

import pytest

from stageward.errors import BadInput


def test_since_with_an_offset_is_compared_as_the_instant_it_names(client_for, clock):
    alice = client_for("alice")  # the store was made at 2026-11-25T12:00:00Z
    clock.advance(hours=1)
    alice.call("access.grant", principal="bob", role="viewer", env="staging")  # 13:00Z
    # 14:30 at +02:00 is 12:30Z: only the grant is after it (as text, "14:30+02:00" sorted after both).
    assert [e["action"] for e in alice.call("audit.list", since="2026-11-25T14:30:00+02:00")] == ["access.grant"]
    # A time without an offset is UTC; a date is its midnight.
    assert len(alice.call("audit.list", since="2026-11-25T12:30:00")) == 1
    assert len(alice.call("audit.list", since="2026-11-25")) == 3  # the store, its first policy, the grant
    assert alice.call("audit.list", since="2026-11-26") == []


@pytest.mark.parametrize("since", ["yesterday", "2026-13-45", "1 week ago", ""])
def test_since_that_is_no_time_is_bad_input(client_for, since: str):
    with pytest.raises(BadInput, match=f"--since {since!r}: expected an ISO date or time"):
        client_for("alice").call("audit.list", since=since)


def test_only_star_is_a_wildcard_in_action(client_for):
    alice = client_for("alice")
    alice.call("access.grant", principal="bob", role="viewer", env="staging")
    assert [e["action"] for e in alice.call("audit.list", action="access.*")] == ["access.grant"]
    assert alice.call("audit.list", action="access_grant*") == []  # '_' is not "any character"
    assert alice.call("audit.list", action="%*") == []  # nor is '%'
