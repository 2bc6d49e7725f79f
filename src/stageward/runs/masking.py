"""What of a delivered secret must never reach a log: the value, its base64 and its URL-encoded forms.

A base64 encoding of a secret embedded in a longer text starts at one of three byte alignments; for each, the
characters that depend on the secret's bytes alone are masked (at most one character at each end, which carries
a few bits only, may remain). Masking itself, across reads and on bytes, is secrets/masking.py's.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

from stageward.secrets.masking import BytesStreamMasker

# Shorter base64 fragments would match ordinary output by chance and say nothing of the secret.
_MIN_FRAGMENT = 6


def _base64_cores(data: bytes) -> set[str]:
    cores = set()
    for offset in range(3):
        padded = b"\0" * offset + data + b"\0\0\0"
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            text = encode(padded).decode("ascii")
            start = -(-8 * offset // 6)  # the first character made of the secret's bits only
            end = 8 * (offset + len(data)) // 6
            core = text[start:end]
            if len(core) >= _MIN_FRAGMENT:
                cores.add(core)
    return cores


def forms_of(value: str) -> set[str]:
    """VALUE and the encodings of it a program commonly prints."""
    if not value:
        return set()
    forms = {value, quote(value, safe=""), quote_plus(value), quote(value)}
    forms |= _base64_cores(value.encode("utf-8"))
    return forms


def run_masker(values: Iterable[str]) -> BytesStreamMasker:
    """A masker of a run's raw output for the secrets delivered to it."""
    forms: set[str] = set()
    for value in values:
        forms |= forms_of(value)
    return BytesStreamMasker(forms)
