"""Durable LangGraph checkpointers: SQLite (embedded) and PostgreSQL (production).

Checkpoints hold the job's pseudonym map (the personal data the redact node replaced) and the
re-identified summary, so they are encrypted at rest: LangGraph's ``EncryptedSerializer`` with
AES-256-GCM under ``LEXGRAPH_CHECKPOINT_KEY``. Embedded, a random key is made once per data
directory; with a PostgreSQL jobs database (production) a missing key stops the process from
starting, since every process sharing the database needs the same key.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import secrets
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from langgraph.checkpoint.serde.base import CipherProtocol, SerializerProtocol
from langgraph.checkpoint.serde.encrypted import EncryptedSerializer
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

from lexgraph.core.config.settings import Settings
from lexgraph.core.errors import ConfigError

KEY_FILE = "checkpoint.key"
_CIPHER = "aesgcm"
_NONCE = 12


def checkpoint_key(settings: Settings) -> bytes:
    """The 32-byte key checkpoints are encrypted with; ``ConfigError`` when there is none to
    use (a PostgreSQL database and no ``LEXGRAPH_CHECKPOINT_KEY``) or it is malformed."""
    if settings.checkpoint_key is not None:
        return _decode_key(settings.checkpoint_key.get_secret_value())
    if not settings.is_sqlite:
        raise ConfigError(
            "LEXGRAPH_CHECKPOINT_KEY is not set: with a PostgreSQL database every API and "
            "worker process needs the same key to encrypt job checkpoints (they hold the "
            "pseudonym map). Make one with `openssl rand -base64 32`.")
    path = settings.data_dir / KEY_FILE
    if not path.exists():
        _create_key_file(path)
    return _decode_key(path.read_text(encoding="ascii"))


def _decode_key(text: str) -> bytes:
    text = text.strip()
    try:
        key = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=False)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != 32:
        raise ConfigError("LEXGRAPH_CHECKPOINT_KEY must be 32 random bytes in base64, for "
                          "example the output of `openssl rand -base64 32`")
    return key


def _create_key_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(base64.b64encode(secrets.token_bytes(32)).decode())
        # A hard link appears whole or not at all and fails if another process won the race,
        # so every process of the data directory ends up with the same key.
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


class AesGcmCipher(CipherProtocol):
    """AES-256-GCM with a fresh random nonce per value, stored in front of the ciphertext."""

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    def encrypt(self, plaintext: bytes) -> tuple[str, bytes]:
        nonce = os.urandom(_NONCE)
        return _CIPHER, nonce + self._aead.encrypt(nonce, plaintext, None)

    def decrypt(self, ciphername: str, ciphertext: bytes) -> bytes:
        if ciphername != _CIPHER:
            raise ConfigError(f"a checkpoint is encrypted with {ciphername!r}, not {_CIPHER}")
        try:
            return self._aead.decrypt(ciphertext[:_NONCE], ciphertext[_NONCE:], None)
        except InvalidTag:
            raise ConfigError("a checkpoint cannot be decrypted: LEXGRAPH_CHECKPOINT_KEY is "
                              "not the key it was written with") from None


class _Text:
    """A text channel value on its way into PostgreSQL (see ``_SealedPostgresSaver``)."""

    __slots__ = ("value",)

    def __init__(self, value: str) -> None:
        self.value = value


class _TextAware(SerializerProtocol):
    """JsonPlus, plus ``_Text`` stored as its UTF-8 bytes and read back as ``str``."""

    def __init__(self) -> None:
        self._inner = JsonPlusSerializer()

    def dumps_typed(self, obj: Any) -> tuple[str, bytes]:
        if isinstance(obj, _Text):
            return "text", obj.value.encode()
        return self._inner.dumps_typed(obj)

    def loads_typed(self, data: tuple[str, bytes]) -> Any:
        if data[0] == "text":
            return data[1].decode()
        return self._inner.loads_typed(data)


def encrypted_serde(key: bytes) -> EncryptedSerializer:
    """Values still stored in the clear (checkpoints from before encryption) are read too."""
    return EncryptedSerializer(AesGcmCipher(key), _TextAware())


def open_checkpointer(url: str, *, key: bytes | None) -> tuple[Any, Any]:
    """Return (checkpointer, closer). Tables are created on first use.

    ``key`` (from ``checkpoint_key``) encrypts what is written; None only for a checkpointer
    that deletes threads and never reads or writes a value."""
    serde = encrypted_serde(key) if key is not None else None
    if url.startswith("sqlite:///"):
        from langgraph.checkpoint.sqlite import SqliteSaver

        path = Path(url[len("sqlite:///"):])
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
        conn.execute("PRAGMA journal_mode=WAL")
        saver = SqliteSaver(conn, serde=serde)
        saver.setup()
        return saver, conn.close
    if url.startswith(("postgresql", "postgres://")):
        from psycopg.rows import dict_row
        from psycopg_pool import ConnectionPool

        conninfo = "postgresql://" + url.split("://", 1)[1]
        # check: every connection is tested as it is handed out, so one that a database
        # restart closed is replaced instead of failing the job's next checkpoint.
        # reconnect_timeout: while the database is down, the pool keeps trying to refill for
        # this long rather than giving up on its connections for good.
        pool = ConnectionPool(conninfo, min_size=1, max_size=8, open=True,
                              check=ConnectionPool.check_connection, timeout=10,
                              reconnect_timeout=3600, kwargs={
                                  "autocommit": True, "prepare_threshold": 0,
                                  "row_factory": dict_row, "connect_timeout": 5})
        pg_saver = _sealed_postgres_saver()(pool, serde=serde)
        pg_saver.setup()
        return pg_saver, pool.close
    raise ConfigError(f"unsupported checkpoint URL {url.split(':', 1)[0]!r}")


def forget_threads(url: str, thread_ids: Sequence[str]) -> None:
    """Remove every checkpoint and pending write of the given threads (one per job id)."""
    if not thread_ids:
        return
    saver, close = open_checkpointer(url, key=None)
    try:
        for thread_id in thread_ids:
            saver.delete_thread(thread_id)
    finally:
        close()


def _sealed_postgres_saver() -> Any:
    """PostgresSaver that keeps no text in the clear.

    It stores ``None``, ``str``, numbers and booleans inline in the checkpoint's JSONB, outside
    the serializer, and so outside the encryption: the matter's name, the instructions and the
    re-identified summary would sit there readable. Text values are handed to it boxed, which
    sends them through the serializer into ``checkpoint_blobs`` like any other value. Every
    boxed channel is written with its current version; a blob already stored for that version
    is kept (the insert does nothing on conflict), so only a thread checkpointed before this
    gets its text copied over once.
    """
    from langgraph.checkpoint.postgres import PostgresSaver

    class SealedPostgresSaver(PostgresSaver):
        def put(self, config: Any, checkpoint: Any, metadata: Any, new_versions: Any) -> Any:
            values = checkpoint["channel_values"]
            texts = [k for k, v in values.items() if isinstance(v, str)]
            if not texts:
                return super().put(config, checkpoint, metadata, new_versions)
            boxed = {**values, **{k: _Text(values[k]) for k in texts}}
            versions = checkpoint["channel_versions"]
            written = {**{k: versions[k] for k in texts if k in versions}, **new_versions}
            sealed = checkpoint.copy()
            sealed["channel_values"] = boxed
            return super().put(config, sealed, metadata, written)

    return SealedPostgresSaver
