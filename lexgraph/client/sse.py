"""Reading a text/event-stream: one ``Message`` per blank-line-terminated block."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Message:
    id: str | None
    event: str
    data: str
    retry: int | None


class Decoder:
    """Feed it lines (without their end-of-line); it hands back each complete message."""

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self._id: str | None = None
        self._event = ""
        self._data: list[str] = []
        self._retry: int | None = None

    def feed(self, line: str) -> Message | None:
        if not line:
            if not self._data and self._retry is None and self._id is None:
                self._reset()
                return None
            message = Message(self._id, self._event or "message", "\n".join(self._data),
                              self._retry)
            self._reset()
            return message
        if line.startswith(":"):
            return None  # a comment: the server's keep-alive
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id" and "\0" not in value:
            self._id = value
        elif name == "retry" and value.isdigit():
            self._retry = int(value)
        return None
