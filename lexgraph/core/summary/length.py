"""How long a job's summary should be: a named length or a word budget.

One parser serves every way a length arrives (JSON, a form field, the CLI, a stored job), so
they all accept and refuse the same values with the same message.
"""

from __future__ import annotations

from typing import Any, Final

from lexgraph.core.errors import Unprocessable

LENGTH_NAMES: Final = ("brief", "standard", "detailed")
DEFAULT_LENGTH: Final = "standard"
MIN_WORDS: Final = 30
MAX_WORDS: Final = 5000

LENGTH_MESSAGE: Final = (
    f"one of {', '.join(LENGTH_NAMES)}, or a whole number of words from "
    f"{MIN_WORDS} to {MAX_WORDS}"
)

# The same shape for the JSON body and the multipart field: a form field is text on the wire,
# but OpenAPI lets it be described by the value it carries.
LENGTH_SCHEMA: Final[dict[str, Any]] = {
    "anyOf": [
        {"type": "string", "enum": list(LENGTH_NAMES)},
        {"type": "integer", "minimum": MIN_WORDS, "maximum": MAX_WORDS},
    ],
    "default": DEFAULT_LENGTH,
    "description": "How long the summary should be: a named length, or a word budget "
                   f"from {MIN_WORDS} to {MAX_WORDS}.",
}


class InvalidLength(Unprocessable):
    """A length that is neither a known name nor a word budget within the bounds."""

    def __init__(self, value: object) -> None:
        shown = repr(value[:40] + "…" if isinstance(value, str) and len(value) > 40 else value)
        super().__init__(f"length: {LENGTH_MESSAGE} (got {shown})",
                         errors=[{"field": "length", "message": LENGTH_MESSAGE}])


def parse_length(value: str | int | None) -> str | int:
    """The canonical length: a name from ``LENGTH_NAMES`` or an ``int`` word budget.

    ``None`` means the default. Digits alone count as a word budget ("400"); signs, exponents
    and fractions do not, so a budget is never the result of a rounding the client did not ask
    for.
    """
    if value is None:
        return DEFAULT_LENGTH
    # bool is an int to Python, but ``true`` from a JSON client is no word count.
    if isinstance(value, bool):
        raise InvalidLength(value)
    if isinstance(value, int):
        words = value
    elif isinstance(value, str):
        text = value.strip().lower()
        if text in LENGTH_NAMES:
            return text
        if not (text.isascii() and text.isdigit()):
            raise InvalidLength(value)
        words = int(text)
    else:
        raise InvalidLength(value)
    if not MIN_WORDS <= words <= MAX_WORDS:
        raise InvalidLength(value)
    return words

