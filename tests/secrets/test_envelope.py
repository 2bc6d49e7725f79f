"""Envelope encryption on its own: binding to where a value belongs, tampering, and the master key."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from stageward.secrets.envelope import (
    Keyring,
    MasterKeyError,
    TamperedCiphertext,
    create_key_file,
    decrypt_value,
    encrypt_value,
    generate_master_key,
    parse_master_key,
    read_key_file,
)

SECRET = "s3cr3t-value"


@pytest.fixture
def keyring() -> Keyring:
    return Keyring.from_master(os.urandom(32))


def _where(**change: object) -> dict[str, object]:
    return {"environment": "production", "team": "lp", "name": "DB_PASSWORD", "version": 3, **change}


def test_a_value_round_trips_and_is_not_in_the_ciphertext(keyring: Keyring):
    data_key, wrapped = keyring.new_data_key("production")
    sealed = encrypt_value(data_key, SECRET, **_where())  # type: ignore[arg-type]
    assert SECRET.encode() not in sealed and data_key not in wrapped
    assert decrypt_value(keyring.unwrap_data_key("production", wrapped), sealed, **_where()) == SECRET  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "moved",
    [{"environment": "staging"}, {"team": None}, {"team": "ml"}, {"name": "OTHER"}, {"version": 2}],
    ids=["other-environment", "no-team", "other-team", "other-name", "other-version"],
)
def test_a_ciphertext_moved_anywhere_else_fails(keyring: Keyring, moved: dict[str, object]):
    data_key, _ = keyring.new_data_key("production")
    sealed = encrypt_value(data_key, SECRET, **_where())  # type: ignore[arg-type]
    with pytest.raises(TamperedCiphertext, match="copied from another environment, team or name") as caught:
        decrypt_value(data_key, sealed, **_where(**moved))  # type: ignore[arg-type]
    assert SECRET not in caught.value.format_message()
    assert caught.value.exit_code == 2


@pytest.mark.parametrize("damage", ["truncate", "flip", "empty", "format"])
def test_a_truncated_or_altered_ciphertext_is_detected(keyring: Keyring, damage: str):
    data_key, _ = keyring.new_data_key("production")
    sealed = bytearray(encrypt_value(data_key, SECRET, **_where()))  # type: ignore[arg-type]
    if damage == "truncate":
        sealed = sealed[:-1]
    elif damage == "flip":
        sealed[20] ^= 0x01
    elif damage == "empty":
        sealed = bytearray()
    else:
        sealed[0] = 0x02
    with pytest.raises(TamperedCiphertext, match="DB_PASSWORD version 3 in production"):
        decrypt_value(data_key, bytes(sealed), **_where())  # type: ignore[arg-type]


def test_a_data_key_opens_only_in_its_environment_and_under_its_master(keyring: Keyring):
    _, wrapped = keyring.new_data_key("development")
    with pytest.raises(TamperedCiphertext, match="data key of environment 'production'"):
        keyring.unwrap_data_key("production", wrapped)
    with pytest.raises(TamperedCiphertext):
        Keyring.from_master(os.urandom(32)).unwrap_data_key("development", wrapped)


def test_derived_keys_are_distinct_and_the_key_id_reveals_nothing():
    master = os.urandom(32)
    ring = Keyring.from_master(master)
    assert len({ring.wrapping_key, ring.api_key_hmac_key, master}) == 3
    assert ring.key_id not in master.hex() and len(ring.key_id) == 16
    assert Keyring.from_master(master).key_id == ring.key_id != Keyring.from_master(os.urandom(32)).key_id


def test_master_key_text_in_either_base64_alphabet_with_or_without_padding():
    raw = bytes(range(32))
    import base64

    for text in (
        base64.b64encode(raw).decode(),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
        "  " + base64.b64encode(raw).decode() + "\n",
    ):
        assert parse_master_key(text, source="STAGEWARD_MASTER_KEY") == raw
    assert len(parse_master_key(generate_master_key(), source="x")) == 32


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "STAGEWARD_MASTER_KEY is empty: expected 32 bytes in base64"),
        ("not*base64!", "STAGEWARD_MASTER_KEY is not base64"),
        ("c2hvcnQta2V5", "STAGEWARD_MASTER_KEY decodes to 9 bytes: expected 32 (AES-256)"),
    ],
)
def test_a_malformed_master_key_is_refused_without_echoing_it(text: str, message: str):
    with pytest.raises(MasterKeyError) as caught:
        parse_master_key(text, source="STAGEWARD_MASTER_KEY")
    assert caught.value.message.startswith(message)
    assert caught.value.exit_code == 2
    if text:
        assert text not in caught.value.format_message()


def test_the_key_file_is_made_0600_once_even_when_many_race(tmp_path: Path):
    path = tmp_path / "nested" / "master.key"
    keys: list[bytes] = []
    threads = [threading.Thread(target=lambda: keys.append(create_key_file(path))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(keys)) == 1 and len(keys) == 8
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["master.key"]  # no temporary files left behind
    assert read_key_file(path) == keys[0]


def test_a_key_file_others_can_read_is_refused(tmp_path: Path):
    path = tmp_path / "master.key"
    create_key_file(path)
    path.chmod(0o644)
    with pytest.raises(MasterKeyError, match=r"has mode 0644: expected 0600") as caught:
        read_key_file(path)
    assert caught.value.hint == f"chmod 600 {path}"
