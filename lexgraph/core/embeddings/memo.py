"""Vectors already computed in this process, by text, so no text is encoded twice.

A job meets the same texts several times: each profile's section queries on every job, a
chunk's sentences when a statement is cited and again when the citation is checked, the
candidate sentences of a revision round. The encoder is by far the costliest step of a job on
CPUs, so a hit here is the whole saving. Keys are SHA-256 digests, not the texts: the memo
holds no document text, only vectors, and a bounded number of them (least recently used out).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray


def _key(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


class VectorMemo:
    def __init__(self, capacity: int = 16384) -> None:
        self.capacity = capacity
        self._rows: OrderedDict[bytes, NDArray[np.float32]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._rows)

    def get(self, text: str) -> NDArray[np.float32] | None:
        """The remembered row for ``text``, or None; counts a hit only when there is one."""
        key = _key(text)
        with self._lock:
            row = self._rows.get(key)
            if row is not None:
                self._rows.move_to_end(key)
                self.hits += 1
        return row

    def embed(self, texts: Sequence[str],
              encode: Callable[[list[str]], NDArray[np.float32]]) -> NDArray[np.float32]:
        """Rows for ``texts`` in order: remembered ones as they were, the others from one
        ``encode`` call over the distinct missing texts."""
        keys = [_key(t) for t in texts]
        found: dict[bytes, NDArray[np.float32]] = {}
        with self._lock:
            for key in keys:
                row = self._rows.get(key)
                if row is not None:
                    self._rows.move_to_end(key)
                    found[key] = row
        missing: dict[bytes, str] = {}
        for key, text in zip(keys, texts, strict=True):
            if key not in found and key not in missing:
                missing[key] = text
        if missing:
            fresh = encode(list(missing.values()))
            computed = dict(zip(missing, fresh, strict=True))
            found.update(computed)
            with self._lock:
                for key, row in computed.items():
                    self._rows[key] = row
                    self._rows.move_to_end(key)
                while len(self._rows) > self.capacity:
                    self._rows.popitem(last=False)
        with self._lock:
            self.hits += len(keys) - len(missing)
            self.misses += len(missing)
        return np.stack([found[k] for k in keys]).astype(np.float32, copy=False)
