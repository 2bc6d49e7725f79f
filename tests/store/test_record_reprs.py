"""Records that carry key material keep it out of their repr, so a record in a log or a traceback leaks none."""

from stageward.store.db.secrets_repo import ApiKeyRecord, KeyCredentials, SecretRecord


def test_secret_and_key_records_print_without_ciphertext_or_digest() -> None:
    secret = SecretRecord(
        id=1, environment="production", team=None, project="shop", name="DB_PASSWORD", current_version=2,
        ttl_seconds=None, rotate_with=None, created_at="t0", created_by="alice", expires_at=None,
        updated_at="t1", updated_by="bob", ciphertext=b"\x01ciphertext-bytes",
    )  # fmt: skip
    key = ApiKeyRecord(
        id=1, prefix="sw_production_abc", digest="d" * 64, principal="spn:deploy", environment="production",
        ttl_seconds=60, created_at="t0", created_by="alice", expires_at="t2", last_used_at=None,
        revoked_at=None, revoked_by=None, replaced_by=None,
    )  # fmt: skip
    presented = KeyCredentials("sw_production_abc", "d" * 64, "spn:deploy", "production", "t2", None, None)
    assert "ciphertext" not in repr(secret) and "DB_PASSWORD" in repr(secret)
    assert "d" * 64 not in repr(key) and "sw_production_abc" in repr(key)
    assert "d" * 64 not in repr(presented) and "spn:deploy" in repr(presented)
