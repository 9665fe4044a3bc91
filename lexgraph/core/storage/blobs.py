from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from lexgraph.core.errors import Unavailable


class BlobStore(Protocol):
    def put(self, data: bytes) -> str:
        """Store ``data``; return its key (the SHA-256 hex digest). Idempotent."""
        ...

    def get(self, key: str) -> bytes: ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None:
        """Remove the blob; a missing one is not an error."""
        ...

    def stored_before(self, cutoff: float) -> Iterator[str]:
        """Keys of the blobs last stored (or stored again) before ``cutoff``, a Unix time."""
        ...

    def delete_if_stored_before(self, key: str, cutoff: float) -> bool:
        """Remove the blob unless it was stored (again) since ``cutoff``; True if removed."""
        ...

    def check_writable(self) -> None:
        """Raise ``Unavailable`` unless a blob could be stored right now."""
        ...


class LocalBlobStore:
    """Content-addressed files under one directory: ``ab/abcdef…``.

    Writes go to a temporary file in the same directory and are renamed into place, so a reader
    never sees a partial blob and two writers of the same content cannot corrupt each other.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        if len(key) != 64 or not all(c in "0123456789abcdef" for c in key):
            raise KeyError(f"not a blob key: {key!r}")
        return self.root / key[:2] / key

    def put(self, data: bytes) -> str:
        key = hashlib.sha256(data).hexdigest()
        path = self._path(key)
        try:
            if path.exists():
                # Stored again: the orphan sweep must see it as new, since a job row that
                # refers to it may be about to be written.
                os.utime(path)
                return key
            path.parent.mkdir(exist_ok=True)
            self._write(path.parent, path, data)
        except OSError as exc:
            raise _unavailable("stored", exc) from exc
        return key

    @staticmethod
    def _write(folder: Path, path: Path | None, data: bytes) -> None:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            if path is not None:
                os.replace(tmp, path)
        finally:
            Path(tmp).unlink(missing_ok=True)

    def get(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise KeyError(key) from None
        except OSError as exc:
            raise _unavailable("read", exc) from exc

    def exists(self, key: str) -> bool:
        try:
            return self._path(key).exists()
        except OSError as exc:
            raise _unavailable("read", exc) from exc

    def delete(self, key: str) -> None:
        try:
            self._path(key).unlink(missing_ok=True)
        except OSError as exc:
            raise _unavailable("deleted", exc) from exc

    def stored_before(self, cutoff: float) -> Iterator[str]:
        if not self.root.is_dir():
            return
        for folder in sorted(self.root.iterdir()):
            if len(folder.name) != 2 or not folder.is_dir():
                continue
            for path in sorted(folder.iterdir()):
                try:
                    if len(path.name) == 64 and path.stat().st_mtime < cutoff:
                        yield path.name
                except FileNotFoundError:
                    continue

    def delete_if_stored_before(self, key: str, cutoff: float) -> bool:
        path = self._path(key)
        try:
            if path.stat().st_mtime >= cutoff:
                return False
            path.unlink()
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise _unavailable("deleted", exc) from exc
        return True

    def check_writable(self) -> None:
        # A real write and delete, as a submission would do: a read-only mount, a full disk or
        # lost permissions all show here, where a mere stat of the folder would pass.
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            self._write(self.root, None, b"probe")
        except OSError as exc:
            raise _unavailable("stored", exc) from exc


def _unavailable(what: str, exc: OSError) -> Unavailable:
    reason = exc.strerror or type(exc).__name__
    return Unavailable("blob store", f"uploaded documents cannot be {what} right now ({reason})")
