"""Envelope encryption: one master key wraps a data key per environment; data keys encrypt secret values.

Every ciphertext carries associated data naming what it is (environment, team, name,
version for a value; environment for a data key), so a row copied to another
environment, another team, another name or another version fails authentication
instead of decrypting to a value that belongs elsewhere.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import json
import os
import secrets as random_source
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from stageward.errors import BadInput, StoreError
from stageward.private_paths import make_private_folder

KEY_BYTES = 32  # AES-256
NONCE_BYTES = 12  # the GCM standard nonce; random nonces are safe far past any secret store's write count
FORMAT = b"\x01"  # first byte of every ciphertext Stageward writes, so the format can change later


class MasterKeyError(BadInput):
    """The master key is missing, malformed, unreadable, or not the one the store was encrypted with."""

    code = "master_key"


class TamperedCiphertext(StoreError):
    """A ciphertext failed authentication: truncated, altered, or moved from where it was written."""

    code = "tampered"


def generate_master_key() -> str:
    """A new master key in the format STAGEWARD_MASTER_KEY takes: 32 random bytes, URL-safe base64."""
    return base64.urlsafe_b64encode(random_source.token_bytes(KEY_BYTES)).decode("ascii")


def parse_master_key(text: str, *, source: str) -> bytes:
    """The 32 key bytes from base64 text (standard or URL-safe, padding optional).

    Messages name SOURCE and sizes only: they never echo what was found.
    """
    cleaned = "".join(text.split())
    if not cleaned:
        raise MasterKeyError(f"{source} is empty: expected 32 bytes in base64 (44 characters)")
    padded = cleaned + "=" * (-len(cleaned) % 4)
    try:
        key = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        raise MasterKeyError(
            f"{source} is not base64: expected 32 bytes in base64 (44 characters)",
            hint="make one with: python -c 'import base64,os;print(base64.urlsafe_b64encode(os.urandom(32)).decode())'",
        ) from None
    if len(key) != KEY_BYTES:
        raise MasterKeyError(f"{source} decodes to {len(key)} bytes: expected {KEY_BYTES} (AES-256)")
    return key


def read_key_file(path: Path) -> bytes:
    """The master key in PATH; refused when others may read it, as ssh refuses a private key."""
    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        raise MasterKeyError(f"master key file {path} does not exist") from None
    if path.is_dir():
        raise MasterKeyError(f"master key file {path} is a folder: expected the file holding the key")
    if mode & 0o077:
        raise MasterKeyError(
            f"master key file {path} has mode {mode:04o}: expected 0600 (readable by its owner only)",
            hint=f"chmod 600 {path}",
        )
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise MasterKeyError(f"master key file {path} cannot be read ({type(exc).__name__})") from None
    return parse_master_key(text, source=f"master key file {path}")


def create_key_file(path: Path) -> bytes:
    """Create PATH (0600, new folders 0700) holding a new master key; if another process made it first, read theirs.

    The key is written to a private temporary file and hard-linked into place, so a
    reader never sees a half-written key and two first uses never make two keys.
    """
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{random_source.token_hex(4)}")
    try:
        make_private_folder(path.parent)
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.fchmod(descriptor, 0o600)  # whatever the umask
    except OSError as exc:
        reason = "a file is in the way" if isinstance(exc, FileExistsError | NotADirectoryError) else exc.strerror
        raise MasterKeyError(
            f"cannot create the master key file {path} ({reason})",
            hint="point STAGEWARD_MASTER_KEY_FILE at a file in a folder you can write",
        ) from None
    try:
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(generate_master_key() + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):  # another process won: use its key
            os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return read_key_file(path)


def _derive(master: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=purpose).derive(master)


@dataclass(frozen=True)
class Keyring:
    """Keys derived from the one master key, each for one purpose (HKDF with distinct labels)."""

    wrapping_key: bytes
    api_key_hmac_key: bytes
    audit_chain_key: bytes  # keys the audit chain's HMACs (audit/chain.py); never the master key itself
    key_id: str  # a public fingerprint: tells which master key a store expects without revealing it

    @classmethod
    def from_master(cls, master: bytes) -> Keyring:
        return cls(
            wrapping_key=_derive(master, b"stageward/v1/wrap-data-keys"),
            api_key_hmac_key=_derive(master, b"stageward/v1/api-key-hmac"),
            audit_chain_key=_derive(master, b"stageward/v1/audit-chain"),
            key_id=_derive(master, b"stageward/v1/key-id")[:8].hex(),
        )

    def new_data_key(self, environment: str) -> tuple[bytes, bytes]:
        """A fresh data key for ENVIRONMENT and its wrapped form to store."""
        data_key = AESGCM.generate_key(bit_length=256)
        return data_key, _seal(self.wrapping_key, data_key, _data_key_aad(environment))

    def unwrap_data_key(self, environment: str, wrapped: bytes) -> bytes:
        try:
            return _open(self.wrapping_key, wrapped, _data_key_aad(environment))
        except TamperedCiphertext:
            raise TamperedCiphertext(
                f"the data key of environment {environment!r} does not open with this master key "
                "(altered, or copied from another environment)"
            ) from None

    def api_key_digest(self, presented: str) -> str:
        """HMAC-SHA-256 of an API key, hex.

        A fast keyed hash is right here, where a slow password hash (bcrypt, scrypt) would be
        wrong: API keys carry >= 256 bits of randomness, so no dictionary or brute force can
        reach them and key stretching buys nothing, while it would cost every request tens of
        milliseconds. The HMAC key (derived from the master key, kept outside the database)
        means a stolen database alone cannot even test a guessed key offline.
        """
        return hmac.new(self.api_key_hmac_key, presented.encode("utf-8"), hashlib.sha256).hexdigest()


def _data_key_aad(environment: str) -> bytes:
    return json.dumps(["stageward-data-key-v1", environment]).encode("utf-8")


def value_aad(environment: str, team: str | None, name: str, version: int) -> bytes:
    """What a value ciphertext is bound to. JSON keeps the fields unambiguous (no separator games)."""
    return json.dumps(["stageward-secret-v1", environment, team or "", name, version]).encode("utf-8")


def _seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    nonce = random_source.token_bytes(NONCE_BYTES)
    return FORMAT + nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def _open(key: bytes, sealed: bytes, aad: bytes) -> bytes:
    # A GCM tag is 16 bytes; anything shorter than format + nonce + tag is truncated for sure.
    if len(sealed) < 1 + NONCE_BYTES + 16 or sealed[:1] != FORMAT:
        raise TamperedCiphertext("ciphertext is truncated or not in Stageward's format")
    nonce, body = sealed[1 : 1 + NONCE_BYTES], sealed[1 + NONCE_BYTES :]
    try:
        return AESGCM(key).decrypt(nonce, body, aad)
    except InvalidTag:
        raise TamperedCiphertext("ciphertext failed authentication") from None


def encrypt_value(data_key: bytes, value: str, *, environment: str, team: str | None, name: str, version: int) -> bytes:
    return _seal(data_key, value.encode("utf-8"), value_aad(environment, team, name, version))


def decrypt_value(
    data_key: bytes, sealed: bytes, *, environment: str, team: str | None, name: str, version: int
) -> str:
    try:
        plaintext = _open(data_key, sealed, value_aad(environment, team, name, version))
    except TamperedCiphertext as exc:
        scope = f" (team {team})" if team else ""
        raise TamperedCiphertext(
            f"secret {name} version {version} in {environment}{scope}: {exc.message} "
            "(truncated, altered, or copied from another environment, team or name)",
            hint="set the value again: stageward secrets set NAME --env ENV < value-file",
        ) from None
    return plaintext.decode("utf-8")
