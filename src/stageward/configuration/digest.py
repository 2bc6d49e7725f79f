"""The config digest of SPEC §4: sha256 of the canonical resolved config, secret references unresolved.

Canonical form: JSON with keys sorted by code point, no whitespace
(separators "," and ":"), UTF-8 without escaping non-ASCII, floats in
Python's shortest round-trip form, and `${secret:NAME}` kept as written.
Two machines with the same files and the same `${env:}` values get the same
digest whatever the key order in the files.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any


def canonical(values: Any) -> bytes:
    return json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def digest(values: Any) -> str:
    return "sha256:" + hashlib.sha256(canonical(values)).hexdigest()
