"""Turn a POST /v1/jobs body (multipart upload or JSON) into a ``Submission``."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request

from lexgraph.api.validation import Line, Text
from lexgraph.core.config.settings import Settings
from lexgraph.core.errors import PayloadTooLarge, Unprocessable, UnsupportedMediaType, UserError
from lexgraph.core.jobs.intake import Submission, UploadedDocument
from lexgraph.core.summary.length import (
    DEFAULT_LENGTH,
    LENGTH_MESSAGE,
    LENGTH_SCHEMA,
    InvalidLength,
    parse_length,
)
from lexgraph.core.summary.profiles import ProfileName
from lexgraph.core.validation import check_json_depth

FORM_FIELDS = {"matter", "profile", "instructions", "webhook_url", "length", "cache"}
# The multipart spellings of the ``cache`` flag (JSON sends a boolean).
_FLAGS = {"true": True, "1": True, "false": False, "0": False}
FILE_FIELD = "files"
# Room for unknown or repeated fields, so the client hears which field is wrong instead of a
# bare "too many fields"; still bounded, because every field is held in memory.
MAX_FORM_FIELDS = 32


# An absolute http(s) URL; which hosts are allowed is for the server to say.
WEBHOOK_URL_PATTERN = r"^[Hh][Tt][Tt][Pp][Ss]?://[^\x00-\x20\x7f-\x9f]+$"
# Standard base64 with its padding: what ``base64.b64decode(validate=True)`` takes.
BASE64_PATTERN = r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"


class DocumentIn(BaseModel):
    # The schema says what _one_body checks: a text or a base64 content, not both.
    model_config = ConfigDict(extra="forbid", json_schema_extra={"oneOf": [
        {"required": ["text"], "properties": {"text": {"type": "string"},
                                              "content_base64": {"type": "null"}}},
        {"required": ["content_base64"], "properties": {"content_base64": {"type": "string"},
                                                        "text": {"type": "null"}}}]})

    filename: Line = Field(min_length=1, max_length=400)
    text: str | None = None
    content_base64: str | None = Field(None, json_schema_extra={"pattern": BASE64_PATTERN})
    media_type: Line | None = Field(None, max_length=200)

    @model_validator(mode="after")
    def _one_body(self) -> DocumentIn:
        if (self.text is None) == (self.content_base64 is None):
            raise ValueError("give exactly one of 'text' or 'content_base64'")
        return self


def _length(value: Any) -> str | int:
    # Checked here rather than by a str | int union so that a float, a boolean or a name out of
    # range is one error on "length" with the message every other channel gives.
    if value is not None and not isinstance(value, str | int):
        raise PydanticCustomError("length", LENGTH_MESSAGE)
    try:
        return parse_length(value)
    except InvalidLength:
        raise PydanticCustomError("length", LENGTH_MESSAGE) from None


class JobCreate(BaseModel):
    """JSON form of a job submission."""

    model_config = ConfigDict(extra="forbid")

    matter: Line = Field(min_length=1, max_length=200)
    profile: ProfileName = "general"
    instructions: Text | None = None
    webhook_url: Line | None = Field(None, json_schema_extra={"pattern": WEBHOOK_URL_PATTERN})
    length: Annotated[str | int, BeforeValidator(_length),
                      WithJsonSchema(LENGTH_SCHEMA)] = DEFAULT_LENGTH
    documents: list[DocumentIn] = Field(min_length=1)
    cache: bool = Field(True, description="false: run the job even when an identical earlier "
                        "job's result could answer it at once.")


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"the request is {int(declared):,} bytes; the limit is {limit:,}")
    chunks: list[bytes] = []
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > limit:
            raise PayloadTooLarge(f"the request is over the {limit:,}-byte limit")
        chunks.append(chunk)
    body = b"".join(chunks)
    # Starlette's form parser reads the cached body instead of the consumed stream.
    request._body = body
    return body


def _from_json(body: bytes) -> Submission:
    check_json_depth(body)
    try:
        raw = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UserError(f"the body is not valid JSON ({exc})") from None
    except RecursionError:
        raise UserError("the JSON body is nested too deeply") from None
    if not isinstance(raw, dict):
        raise Unprocessable("the body must be a JSON object with 'matter' and 'documents'")
    try:
        data = JobCreate.model_validate(raw)
    except ValidationError as exc:
        errors = [{"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]}
                  for e in exc.errors()]
        raise Unprocessable("; ".join(f"{e['field'] or 'body'}: {e['message']}" for e in errors),
                            errors=errors) from None
    docs = []
    for i, doc in enumerate(data.documents):
        if doc.text is not None:
            payload = doc.text.encode("utf-8")
        else:
            try:
                payload = base64.b64decode(doc.content_base64 or "", validate=True)
            except (binascii.Error, ValueError):
                raise Unprocessable(f"documents.{i}.content_base64 is not valid base64",
                                    errors=[{"field": f"documents.{i}.content_base64",
                                             "message": "not valid base64"}]) from None
        docs.append(UploadedDocument(doc.filename, payload, doc.media_type))
    return Submission(matter=data.matter, profile=data.profile, instructions=data.instructions,
                      webhook_url=data.webhook_url, documents=docs, length=data.length,
                      cache=data.cache)


def _multipart_error(message: str, settings: Settings, part_limit: int) -> UserError:
    if message.startswith("Too many files"):
        return PayloadTooLarge(f"more than {settings.max_documents} files sent; at most "
                               f"{settings.max_documents} documents per job")
    if message.startswith("Too many fields"):
        return Unprocessable(f"more than {MAX_FORM_FIELDS} form fields sent; expected "
                             f"{FILE_FIELD} and {', '.join(sorted(FORM_FIELDS))}")
    if "exceeded maximum size" in message:
        return PayloadTooLarge(f"a form field is over {part_limit:,} bytes; instructions may be "
                               f"at most {settings.max_instructions_chars:,} characters")
    return UserError(f"the multipart body could not be read: {message}")


async def _from_multipart(request: Request, settings: Settings) -> Submission:
    part_limit = settings.max_instructions_chars * 4 + 1024
    try:
        form = await request.form(max_files=settings.max_documents, max_fields=MAX_FORM_FIELDS,
                                  max_part_size=part_limit)
    except MultiPartException as exc:
        raise _multipart_error(exc.message, settings, part_limit) from None
    except HTTPException as exc:  # inside an app, Starlette re-raises multipart errors as 400s
        raise _multipart_error(str(exc.detail), settings, part_limit) from None
    try:
        unknown = sorted({k for k in form if k not in FORM_FIELDS and k != FILE_FIELD})
        if unknown:
            raise Unprocessable(
                f"unknown field(s): {', '.join(unknown)}; expected {FILE_FIELD} and "
                f"{', '.join(sorted(FORM_FIELDS))}",
                errors=[{"field": k, "message": "unknown field"} for k in unknown])
        fields: dict[str, Any] = {}
        for name in FORM_FIELDS:
            values = form.getlist(name)
            if len(values) > 1:
                raise Unprocessable(f"field {name!r} was sent {len(values)} times")
            if values:
                if not isinstance(values[0], str):
                    raise Unprocessable(f"field {name!r} must be text, not a file")
                fields[name] = values[0]
        docs = []
        for item in form.getlist(FILE_FIELD):
            if not isinstance(item, UploadFile):
                raise Unprocessable(f"{FILE_FIELD!r} parts must be files",
                                    errors=[{"field": FILE_FIELD, "message": "not a file"}])
            docs.append(UploadedDocument(item.filename or "", await item.read(),
                                         item.content_type))
        profile = fields.get("profile") or "general"
        cache = _FLAGS.get((fields.get("cache") or "true").strip().lower())
        if cache is None:
            raise Unprocessable("field 'cache' must be true or false",
                                errors=[{"field": "cache", "message": "true or false"}])
        return Submission(matter=fields.get("matter", ""), profile=profile,
                          instructions=fields.get("instructions") or None,
                          webhook_url=fields.get("webhook_url") or None, documents=docs,
                          length=fields.get("length") or None, cache=cache)
    finally:
        await form.close()


async def parse_submission(request: Request, settings: Settings) -> Submission:
    content_type = request.headers.get("content-type", "")
    kind = content_type.split(";")[0].strip().lower()
    if kind not in ("multipart/form-data", "application/json"):
        raise UnsupportedMediaType(
            "send the job as multipart/form-data (files plus fields) or application/json"
        )
    body = await read_body(request, settings.max_upload_bytes)
    if not body:
        raise UserError("the request body is empty")
    if kind == "application/json":
        return _from_json(body)
    if "boundary=" not in content_type:
        raise UserError("the multipart Content-Type has no boundary parameter")
    return await _from_multipart(request, settings)
