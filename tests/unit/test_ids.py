"""Identifiers sort by creation time, so ``WHERE id < cursor`` pages without a second key."""

from __future__ import annotations

import time

from lexgraph.core.ids import new_id

ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"


def _millis(identifier: str) -> int:
    value = 0
    for ch in identifier.split("_", 1)[1]:
        value = value * 32 + ALPHABET.index(ch)
    return value >> 80


def test_shape() -> None:
    job_id = new_id("job")
    prefix, body = job_id.split("_")
    assert prefix == "job"
    assert len(body) == 26
    assert set(body) <= set(ALPHABET)
    # Crockford base32 leaves out letters people misread.
    assert not set(body) & set("ilou")


def test_carries_the_creation_time() -> None:
    before = int(time.time() * 1000)
    identifier = new_id("doc")
    after = int(time.time() * 1000)
    assert before <= _millis(identifier) <= after


def test_later_ids_sort_after_earlier_ones() -> None:
    earlier = [new_id("job") for _ in range(50)]
    time.sleep(0.002)
    later = [new_id("job") for _ in range(50)]
    assert max(earlier) < min(later)


def test_unique_within_one_millisecond() -> None:
    ids = {new_id("evt") for _ in range(20_000)}
    assert len(ids) == 20_000
