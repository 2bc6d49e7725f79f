from stageward.errors import Denied


def test_store_creator_is_admin_and_others_are_denied(client_for):
    alice, bob = client_for("alice"), client_for("bob")
    assert [e["name"] for e in alice.call("env.list")] == ["sandbox", "development", "staging", "production"]
    assert bob.call("env.list") == []
    try:
        bob.call("access.grant", principal="bob", role="admin", env="production")
    except Denied as denied:
        assert "access.manage" in denied.message and "production" in denied.message
    else:
        raise AssertionError("bob was not denied")
    entries = alice.call("audit.list", env="production")
    assert entries[-1]["outcome"] == "denied" and entries[-1]["principal"] == "bob"
    assert alice.call("audit.verify")["ok"]
