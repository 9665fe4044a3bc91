"""Time-ordered identifiers: 48-bit millisecond clock + 80 random bits, as 26 Crockford chars.

Ordered ids give stable cursor pagination (``WHERE id < cursor``) without a second sort key.
"""

from __future__ import annotations

import os
import time

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"


def id_floor(prefix: str, at_seconds: float) -> str:
    """The smallest id ``new_id`` could make at ``at_seconds``: every id made later sorts
    above it, so a time range is an id range on an index that already exists."""
    value = int(at_seconds * 1000) << 80
    chars = []
    for _ in range(26):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return f"{prefix}_{''.join(reversed(chars))}"


def new_id(prefix: str) -> str:
    value = (int(time.time() * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
    chars = []
    for _ in range(26):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return f"{prefix}_{''.join(reversed(chars))}"
