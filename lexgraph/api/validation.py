"""Request checks shared by the routes: text fields free of control characters, and URLs
(paths and query strings) refused before routing when they carry one."""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import unquote_to_bytes

from pydantic import AfterValidator, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError
from starlette.types import ASGIApp, Receive, Scope, Send

from lexgraph.api.problems import problem
from lexgraph.core.validation import line_problem, text_problem

_URL_CONTROL = re.compile(rb"[\x00-\x1f\x7f]")


def _line(value: str) -> str:
    message = line_problem(value)
    if message:
        raise PydanticCustomError("control_characters", message)
    return value


def _text(value: str) -> str:
    message = text_problem(value)
    if message:
        raise PydanticCustomError("control_characters", message)
    return value


# The same refusals as regular expressions, for the OpenAPI document: a client generated from
# it, or a fuzzer, knows which strings are refused before sending them.
LINE_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]*$"
TEXT_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
# What RefuseControlCharacters refuses in a path or a query string.
URL_PATTERN = r"^[^\x00-\x1f\x7f]*$"


class Documented:
    """Adds ``pattern`` to a string's JSON schema, keeping its other constraints."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern

    def __get_pydantic_json_schema__(self, core_schema: CoreSchema,
                                     handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        schema: dict[str, Any] = handler(core_schema)
        schema["pattern"] = self.pattern
        return schema


# A one-line value stored as text: a name, an id, a URL, a description.
Line = Annotated[str, AfterValidator(_line), Documented(LINE_PATTERN)]
# Free text stored as is: instructions, comments, corrections.
Text = Annotated[str, AfterValidator(_text), Documented(TEXT_PATTERN)]


class RefuseControlCharacters:
    """Answers 400 to a request whose path or query string holds a control character, raw or
    percent-encoded: no id, cursor or filter may contain one, and PostgreSQL would refuse a NUL
    only after the request had reached it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            # The path as routing will see it (the server decoded it, and a client may have
            # encoded it twice), and the query string as its parser will decode it.
            path = scope.get("path", "").encode("utf-8", "surrogateescape")
            raw_path = unquote_to_bytes(scope.get("raw_path") or b"")
            query = unquote_to_bytes(scope.get("query_string", b""))
            for part, where in ((path + raw_path, "path"), (query, "query string")):
                if _URL_CONTROL.search(part):
                    response = problem(400, f"the URL's {where} contains a control character "
                                       "(such as %00); no identifier or filter holds one",
                                       instance=scope.get("path"))
                    await response(scope, receive, send)
                    return
        await self.app(scope, receive, send)
