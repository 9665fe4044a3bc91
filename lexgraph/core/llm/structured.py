"""Structured output: find the JSON in a model's text and validate it against a JSON schema.

Every adapter runs this on its output, also when the server enforced the schema itself:
servers differ in how strictly they do, and some ignore ``response_format`` silently.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from jsonschema import validators
from jsonschema.exceptions import SchemaError

from lexgraph.core.llm.base import ChatRequest, ChatResult, StructuredOutputError, Usage

_FENCE = re.compile(r"^```[a-zA-Z0-9_-]*\s*\n(.*?)\n?```\s*$", re.DOTALL)


def check_schema(schema: Mapping[str, Any]) -> None:
    """Raise ``ValueError`` for a schema that is not a valid JSON schema (a caller's bug)."""
    try:
        validators.validator_for(schema).check_schema(schema)
    except SchemaError as exc:
        raise ValueError(f"json_schema is not a valid JSON schema: {exc.message}") from None


def _extract_json(text: str) -> Any:
    stripped = text.strip()
    fenced = _FENCE.match(stripped)
    if fenced:
        stripped = fenced.group(1).strip()
    try:
        return json.loads(stripped)
    except ValueError:
        pass
    # Models like to wrap the object in a sentence; take the first complete JSON value.
    decoder = json.JSONDecoder()
    for start, char in enumerate(stripped):
        if char in "{[":
            try:
                value, _ = decoder.raw_decode(stripped, start)
            except ValueError:
                continue
            return value
    raise StructuredOutputError("the model's output contains no JSON value", text)


def _path(parts: Any) -> str:
    out = "$"
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def parse_structured(text: str, schema: Mapping[str, Any]) -> Any:
    """Return the JSON value in ``text`` if it validates against ``schema``.

    Error messages name the failing location and rule, not the offending value, so model output
    (which may quote documents) does not end up in job errors.
    """
    check_schema(schema)
    value = _extract_json(text)
    validator = validators.validator_for(schema)(schema)
    errors = sorted(validator.iter_errors(value), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        rule = f"{first.validator}={json.dumps(first.validator_value, default=str)[:80]}"
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise StructuredOutputError(
            f"the model's output does not match the schema at {_path(first.absolute_path)}: "
            f"fails {rule}{more}", text)
    return value


def chat_result(request: ChatRequest, text: str, *, model: str, usage: Usage,
                finish_reason: str | None) -> ChatResult:
    """An in-process backend's answer, its structured value parsed when one was asked for."""
    structured = (parse_structured(text, request.json_schema)
                  if request.json_schema is not None else None)
    return ChatResult(text=text, model=model, usage=usage, structured=structured,
                      finish_reason=finish_reason)
