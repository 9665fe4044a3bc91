"""The README's configuration table is the Settings class, field for field.

``python tests/unit/test_docs.py`` prints a fresh table (descriptions from the Field
definitions) to paste between the README's settings-table markers.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from lexgraph.core.config.settings import Settings

README = Path(__file__).resolve().parents[2] / "README.md"
START = "<!-- settings-table:start -->"
END = "<!-- settings-table:end -->"
_ROW = re.compile(r"^\|\s*`LEXGRAPH_([A-Z0-9_]+)`\s*\|\s*(.*?)\s*\|\s*(.*?)\s*\|\s*$")


def env_name(field: str) -> str:
    return f"LEXGRAPH_{field.upper()}"


def default_cell(value: Any) -> str:
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    return f"`{value}`"


def expected_rows() -> dict[str, str]:
    return {env_name(name): default_cell(field.default)
            for name, field in Settings.model_fields.items()}


def readme_rows(text: str) -> dict[str, str]:
    assert text.count(START) == 1 and text.count(END) == 1, (
        f"README.md needs exactly one {START} ... {END} block around the configuration table")
    block = text.split(START, 1)[1].split(END, 1)[0]
    rows: dict[str, str] = {}
    for line in block.splitlines():
        match = _ROW.match(line)
        if match:
            name = f"LEXGRAPH_{match.group(1)}"
            assert name not in rows, f"{name} is listed twice in README's configuration table"
            assert match.group(3), f"{name} has no meaning in README's configuration table"
            rows[name] = match.group(2)
    return rows


@pytest.fixture(scope="module")
def readme() -> str:
    return README.read_text(encoding="utf-8")


def test_table_lists_every_settings_field_and_nothing_else(readme: str) -> None:
    documented = set(readme_rows(readme))
    fields = set(expected_rows())
    assert not fields - documented, f"missing from README: {sorted(fields - documented)}"
    assert not documented - fields, f"not Settings fields: {sorted(documented - fields)}"


def test_table_defaults_match_the_code(readme: str) -> None:
    documented = readme_rows(readme)
    wrong = {name: (documented[name], cell) for name, cell in expected_rows().items()
             if name in documented and documented[name] != cell}
    assert not wrong, "README defaults differ (README, code): " + repr(wrong)


def test_table_follows_field_order(readme: str) -> None:
    assert list(readme_rows(readme)) == list(expected_rows())


@pytest.mark.parametrize("command", ["make demo", "make test"])
def test_readme_names_the_two_commands(readme: str, command: str) -> None:
    assert f"`{command}`" in readme or f"\n{command}\n" in readme


def test_the_two_commands_exist_in_the_makefile() -> None:
    makefile = (README.parent / "Makefile").read_text(encoding="utf-8")
    for target in ("demo", "test"):
        assert re.search(rf"^{target}:", makefile, re.MULTILINE), f"no '{target}' target"


if __name__ == "__main__":
    print("| Variable | Default | Meaning |")
    print("|---|---|---|")
    for name, field in Settings.model_fields.items():
        print(f"| `{env_name(name)}` | {default_cell(field.default)} | "
              f"{field.description or ''} |")
