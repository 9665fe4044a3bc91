"""Checks on text a client sends that would otherwise fail deep inside a database or a parser.

PostgreSQL refuses NUL in text, other control characters corrupt logs and headers, integers past
64 bits overflow a BIGINT, and a JSON document nested a thousand levels deep exhausts Python's
recursion limit: each is refused here, where the client can still be told which field is wrong.
"""

from __future__ import annotations

import re

from lexgraph.core.errors import Unprocessable, UserError

# One-line values (names, ids, URLs, descriptions): no C0 or C1 control character at all.
_LINE_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# Free text (instructions, comments): line breaks and tabs are text; other controls are not.
_TEXT_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CONTROL_MESSAGE = "must not contain control characters (such as NUL)"
MULTILINE_MESSAGE = "must not contain control characters other than tab and line breaks"
# Largest value a signed 64-bit column (event ids, cursors) can hold.
MAX_INT64 = 2**63 - 1
MAX_JSON_DEPTH = 32
_JSON_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)


def line_problem(value: str) -> str | None:
    return CONTROL_MESSAGE if _LINE_CONTROL.search(value) else None


def text_problem(value: str) -> str | None:
    return MULTILINE_MESSAGE if _TEXT_CONTROL.search(value) else None


def check_line(field: str, value: str | None) -> None:
    if value is not None and (message := line_problem(value)):
        raise Unprocessable(f"{field}: {message}", errors=[{"field": field, "message": message}])


def check_text(field: str, value: str | None) -> None:
    if value is not None and (message := text_problem(value)):
        raise Unprocessable(f"{field}: {message}", errors=[{"field": field, "message": message}])


def json_depth(body: bytes) -> int:
    """The deepest nesting of arrays and objects in a JSON text, without parsing it: strings
    are skipped whole by one regular expression, so the cost is one pass in C."""
    depth = deepest = 0
    for match in _JSON_TOKEN.finditer(body):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        elif token in (b"]", b"}"):
            depth -= 1
    return deepest


def check_json_depth(body: bytes, limit: int = MAX_JSON_DEPTH) -> None:
    if json_depth(body) > limit:
        raise UserError(f"the JSON body is nested more than {limit} levels deep")
