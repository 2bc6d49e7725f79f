"""API key text: `sw_<environment>_<random>`, 44 base62 characters (>= 256 bits) of randomness."""

from __future__ import annotations

import re
import secrets as random_source
import string

ALPHABET = string.ascii_letters + string.digits
RANDOM_CHARS = 44  # 44 * log2(62) = 262 bits
PREFIX_CHARS = 8  # of the random part, shown in listings to tell keys apart
_KEY = re.compile(rf"^sw_([a-z][a-z0-9-]{{0,62}})_([A-Za-z0-9]{{{RANDOM_CHARS}}})$")


def new_api_key(environment: str) -> str:
    random_part = "".join(random_source.choice(ALPHABET) for _ in range(RANDOM_CHARS))
    return f"sw_{environment}_{random_part}"


def key_prefix(key: str) -> str:
    """The public part of a key: `sw_development_Ab3dE9xQ`; enough to find it, far too little to use it."""
    environment, random_part = split_key(key) or ("", "")
    return f"sw_{environment}_{random_part[:PREFIX_CHARS]}"


def split_key(key: str) -> tuple[str, str] | None:
    """(environment, random part) of a well-formed key, else None."""
    found = _KEY.fullmatch(key)
    return (found.group(1), found.group(2)) if found else None
