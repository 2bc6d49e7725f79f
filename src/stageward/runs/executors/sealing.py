"""The config of a Ray run sealed to a key its job made: X25519, HKDF-SHA256, AES-256-GCM (the `cryptography` library).

The job makes a key pair and sends its public key; the launcher answers with a fresh ephemeral public key, a nonce
and the config sealed under a key only the two of them can derive. Whoever sees the exchange on the network (the
token, both public keys, the sealed bytes) learns nothing of the config. The run id is bound in as associated data,
so a sealed config cannot be replayed to another run's job.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KEY_BYTES = 32
NONCE_BYTES = 12
_INFO = b"stageward ray config v1"


class SealError(ValueError):
    """A public key of the wrong shape, or sealed bytes that do not open under this key (tampered, or not ours)."""


@dataclass(frozen=True)
class Sealed:
    launcher_key: bytes  # the launcher's ephemeral X25519 public key
    nonce: bytes
    ciphertext: bytes  # AES-GCM: the config followed by its 16-byte tag


def _public(raw: bytes) -> X25519PublicKey:
    if len(raw) != KEY_BYTES:
        raise SealError(f"a public key is {KEY_BYTES} bytes, got {len(raw)}")
    return X25519PublicKey.from_public_bytes(raw)


def _key(shared: bytes, job_key: bytes, launcher_key: bytes) -> bytes:
    # Both public keys go into the derivation: a key derived for one exchange is useless for any other.
    derive = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO + job_key + launcher_key)
    return derive.derive(shared)


def new_job_key() -> tuple[X25519PrivateKey, bytes]:
    """The job's key pair: the private key it keeps, and the raw public key it sends."""
    private = X25519PrivateKey.generate()
    return private, private.public_key().public_bytes_raw()


def seal(config: bytes, job_key: bytes, run_id: str) -> Sealed:
    ephemeral = X25519PrivateKey.generate()
    launcher_key = ephemeral.public_key().public_bytes_raw()
    shared = ephemeral.exchange(_public(job_key))
    nonce = os.urandom(NONCE_BYTES)
    ciphertext = AESGCM(_key(shared, job_key, launcher_key)).encrypt(nonce, config, run_id.encode("utf-8"))
    return Sealed(launcher_key=launcher_key, nonce=nonce, ciphertext=ciphertext)


def open_sealed(sealed: Sealed, private: X25519PrivateKey, run_id: str) -> bytes:
    job_key = private.public_key().public_bytes_raw()
    shared = private.exchange(_public(sealed.launcher_key))
    if len(sealed.nonce) != NONCE_BYTES:
        raise SealError(f"a nonce is {NONCE_BYTES} bytes, got {len(sealed.nonce)}")
    try:
        return AESGCM(_key(shared, job_key, sealed.launcher_key)).decrypt(
            sealed.nonce, sealed.ciphertext, run_id.encode("utf-8")
        )
    except InvalidTag:
        raise SealError("the sealed config does not open with this job's key") from None
