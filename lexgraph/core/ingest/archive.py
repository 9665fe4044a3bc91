"""Read members of an untrusted zip archive (DOCX and any other zip-based format) within limits.

Nothing is inflated whole: members are read in small chunks and every chunk is counted against
the member cap, the archive's total cap and the compression ratio, so a bomb is stopped after
at most one chunk past a limit rather than after it has filled memory. The sizes the central
directory declares are checked first (they bound what ``zipfile`` will inflate), and the
counting while reading holds even if they lie.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Iterator

from lexgraph.core.ingest.limits import DocumentLimits, DocumentTooLarge

CHUNK_BYTES = 64 * 1024


class ArchiveCorrupt(Exception):
    """The bytes are not a readable zip archive, or a member is damaged."""


class SafeZip:
    def __init__(self, data: bytes, limits: DocumentLimits, *, what: str = "the archive",
                 code: str = "archive_too_large") -> None:
        self.limits = limits
        self.what = what
        self.code = code
        self.inflated = 0
        try:
            self._zf = zipfile.ZipFile(io.BytesIO(data))
            infos = self._zf.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
            raise ArchiveCorrupt(str(exc)) from exc
        self._infos = {info.filename: info for info in infos}
        self._check_declared(infos)

    def __enter__(self) -> SafeZip:
        return self

    def __exit__(self, *exc: object) -> None:
        self._zf.close()

    def names(self) -> set[str]:
        return set(self._infos)

    def _refuse(self, reason: str) -> DocumentTooLarge:
        return DocumentTooLarge(self.code, f"{self.what} {reason}; it may be a zip bomb, so it "
                                "was not read")

    def _check_declared(self, infos: list[zipfile.ZipInfo]) -> None:
        lim = self.limits
        if len(infos) > lim.max_members:
            raise self._refuse(f"has {len(infos):,} parts (limit {lim.max_members:,})")
        total = sum(info.file_size for info in infos)
        if total > lim.max_unpacked_bytes:
            raise self._refuse(f"unpacks to {_mib(total)} MiB (limit "
                               f"{_mib(lim.max_unpacked_bytes)} MiB)")
        for info in infos:
            self._check_member(info.filename, info.file_size, info.compress_size)

    def _check_member(self, name: str, size: int, compressed: int) -> None:
        lim = self.limits
        if size > lim.max_member_bytes:
            raise self._refuse(f"has a part ({name}) that unpacks to more than "
                               f"{_mib(lim.max_member_bytes)} MiB")
        if size > lim.ratio_floor_bytes and size > lim.max_ratio * max(compressed, 1):
            raise self._refuse(f"has a part ({name}) compressed more than "
                               f"{lim.max_ratio:,.0f} to 1")

    def stream(self, name: str, *, max_bytes: int | None = None) -> Iterator[bytes]:
        """The member's bytes in chunks; ``max_bytes`` stops early (the rest is never read)."""
        info = self._infos.get(name)
        if info is None:
            raise KeyError(name)
        read = 0
        try:
            with self._zf.open(info) as part:
                while True:
                    chunk = part.read(CHUNK_BYTES)
                    if not chunk:
                        return
                    read += len(chunk)
                    self.inflated += len(chunk)
                    self._check_member(name, read, info.compress_size)
                    if self.inflated > self.limits.max_unpacked_bytes:
                        raise self._refuse(f"unpacks to more than "
                                           f"{_mib(self.limits.max_unpacked_bytes)} MiB")
                    if max_bytes is not None and read > max_bytes:
                        yield chunk[:len(chunk) - (read - max_bytes)]
                        return
                    yield chunk
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError,
                NotImplementedError, RuntimeError, zlib.error) as exc:
            # zlib errors, a bad CRC, an unsupported method or an encrypted member.
            raise ArchiveCorrupt(f"{name}: {exc}") from exc

    def read(self, name: str, *, max_bytes: int | None = None) -> bytes:
        return b"".join(self.stream(name, max_bytes=max_bytes))

    def open(self, name: str) -> io.RawIOBase:
        """A file object over ``stream``, for parsers that pull (lxml's iterparse)."""
        return _ChunkReader(self.stream(name))


class _ChunkReader(io.RawIOBase):
    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._pending = chunk
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n


def _mib(n: int) -> str:
    return f"{n / 2**20:,.0f}"
