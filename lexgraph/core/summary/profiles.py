"""Summary profiles, read from ``lexgraph/prompts/profiles.yaml`` and validated at load.

The file is the one list of profiles: the API's validation and schema, the web form and the
CLI's choices all take their names from here, in the file's order.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from lexgraph.core.errors import ConfigError


class SectionSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str = Field(min_length=1)
    query: str = Field(min_length=3)
    guidance: str = Field(min_length=3)
    # Shown even when empty ("not found in the documents"): a reader of this kind of document
    # expects the section, and its absence is itself a finding.
    expected: bool = False
    # CUAD clause categories whose clauses belong here (contracts); empty: chosen by `query`.
    clauses: tuple[str, ...] = ()


class Profile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    title: str
    sections: tuple[SectionSpec, ...] = Field(min_length=1)


@lru_cache(maxsize=1)
def load_profiles() -> dict[str, Profile]:
    text = resources.files("lexgraph.prompts").joinpath("profiles.yaml").read_text("utf-8")
    raw = yaml.safe_load(text)
    if not isinstance(raw, dict):
        raise ConfigError("prompts/profiles.yaml must map profile names to profiles")
    profiles: dict[str, Profile] = {}
    for name, body in raw.items():
        try:
            profile = Profile.model_validate({"name": name, **body})
        except (ValidationError, TypeError) as exc:
            raise ConfigError(f"profile {name!r} in prompts/profiles.yaml is invalid: {exc}"
                              ) from None
        keys = [s.key for s in profile.sections]
        if len(set(keys)) != len(keys):
            raise ConfigError(f"profile {name!r} repeats a section key")
        profiles[name] = profile
    return profiles


PROFILE_NAMES: tuple[str, ...] = tuple(load_profiles())

# A Literal of the names at run time, so pydantic and typer validate against them and list
# them (OpenAPI enum, --help); a type checker cannot follow a computed Literal, so it sees str.
if TYPE_CHECKING:
    ProfileName = str
else:
    ProfileName = Literal[PROFILE_NAMES]
