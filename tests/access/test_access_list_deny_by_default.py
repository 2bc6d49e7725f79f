"""access list for a principal with no binding: nothing, not the admins who hold every environment."""

from __future__ import annotations


def test_a_principal_without_bindings_sees_no_bindings(client_for):
    alice, mallory = client_for("alice"), client_for("mallory")
    alice.call("access.grant", principal="bob", role="developer", env="development")
    assert mallory.call("access.list") == []
    assert {(b["principal"], b["environment"]) for b in alice.call("access.list")} == {
        ("alice", "*"),
        ("bob", "development"),
    }
    # bob sees development's bindings and the "*" ones that reach it.
    assert {(b["principal"], b["environment"]) for b in client_for("bob").call("access.list")} == {
        ("alice", "*"),
        ("bob", "development"),
    }
