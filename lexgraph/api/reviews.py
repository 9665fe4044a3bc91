"""The body of a reviewer's decision on a job waiting in needs_review, as the JSON API and the
web page's review form both take it."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, model_validator
from pydantic_core import PydanticCustomError

from lexgraph.api.validation import Line, Text


def _json_integer(value: Any) -> Any:
    # A JSON number with no fraction (3 or 3.0) is an integer to JSON Schema; a string is not.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PydanticCustomError("int_type", "Input should be a valid integer")
    return value


JsonInteger = Annotated[int, BeforeValidator(_json_integer)]


class ReviewEdit(BaseModel):
    # The schema says what _one_change checks: a new text, or delete true.
    model_config = ConfigDict(extra="forbid", json_schema_extra={"oneOf": [
        {"required": ["text"], "properties": {"text": {"type": "string"},
                                              "delete": {"const": False}}},
        {"required": ["delete"], "properties": {"delete": {"const": True},
                                                "text": {"type": "null"}}}]})

    section: Line = Field(min_length=1, max_length=200,
                          description="Section key, e.g. `payment`.")
    index: JsonInteger = Field(ge=0, le=100_000,
                             description="Statement index within the section.")
    text: Text | None = Field(None, min_length=1, max_length=4000,
                             description="New wording; the statement keeps its citations.")
    delete: StrictBool = Field(False, description="Remove the statement instead.")

    @model_validator(mode="after")
    def _one_change(self) -> ReviewEdit:
        if (self.text is None) == (not self.delete):
            raise ValueError("give either 'text' or 'delete': true")
        return self


class ReviewDecision(BaseModel):
    # The schema says what _edits_match_action checks: edits with "edit", and only then.
    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "if": {"properties": {"action": {"const": "edit"}}},
        "then": {"required": ["edits"], "properties": {"edits": {"minItems": 1}}},
        "else": {"properties": {"edits": {"maxItems": 0}}}})

    action: Literal["approve", "edit", "reject"]
    edits: list[ReviewEdit] = Field(default_factory=list)
    comment: Text | None = Field(None, max_length=4000)

    @model_validator(mode="after")
    def _edits_match_action(self) -> ReviewDecision:
        if self.action == "edit" and not self.edits:
            raise ValueError("action 'edit' needs at least one edit")
        if self.action != "edit" and self.edits:
            raise ValueError(f"action {self.action!r} takes no edits")
        return self
