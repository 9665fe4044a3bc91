"""The documentation: README as the front door, the site under docs/, and the pages derived
from the code (settings, CLI options, HTTP API) equal to what docs/generate.py writes.

When a generated page is stale, ``.venv/bin/python docs/generate.py`` rewrites it.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from types import ModuleType
from urllib.parse import urlsplit

import pytest

from lexgraph.core.config.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
REGENERATE = "run `.venv/bin/python docs/generate.py` and commit the pages it rewrites"
# Hosts a page may link to: the site itself, and the documentation or specification of the
# projects lexgraph builds on.
UPSTREAM_DOCS = frozenset({
    "docs.celeryq.dev", "langchain-ai.github.io", "docs.langchain.com", "docs.smith.langchain.com",
    "fastapi.tiangolo.com", "docs.crewai.com", "docs.pydantic.dev", "docs.vllm.ai",
    "microsoft.github.io", "spacy.io", "lancedb.github.io", "weaviate.io", "huggingface.co",
    "docs.sqlalchemy.org", "www.postgresql.org", "redis.io", "docs.docker.com", "htmx.org",
    "www.mkdocs.org", "squidfunk.github.io", "www.standardwebhooks.com", "www.rfc-editor.org",
    "creativecommons.org", "swagger.io", "spec.openapis.org", "kubernetes.io",
})
_ROW = re.compile(r"^\|\s*`LEXGRAPH_([A-Z0-9_]+)`\s*\|\s*(.*?)\s*\|\s*(.*?)\s*\|\s*$")
_MD_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("lexgraph_docs_generate", DOCS / "generate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


generate = _generator()


@pytest.fixture(scope="module")
def readme() -> str:
    return README.read_text(encoding="utf-8")


# --- pages derived from the code ------------------------------------------------------------

@pytest.mark.parametrize("page", ["configuration", "cli", "api"])
def test_generated_page_is_current(page: str) -> None:
    path = {"configuration": generate.CONFIGURATION_PAGE, "cli": generate.CLI_PAGE,
            "api": generate.API_PAGE}[page]
    expected = generate.pages()[path]()
    first = ("`lexgraph openapi > docs/reference/openapi.json` when the API changed, then "
             if page == "api" else "")
    assert path.read_text(encoding="utf-8") == expected, \
        f"{path.relative_to(ROOT)} is stale: {first}{REGENERATE}"


def _settings_rows() -> dict[str, tuple[str, str]]:
    rows: dict[str, tuple[str, str]] = {}
    for line in generate.CONFIGURATION_PAGE.read_text(encoding="utf-8").splitlines():
        match = _ROW.match(line)
        if match:
            name = f"LEXGRAPH_{match.group(1)}"
            assert name not in rows, f"{name} is listed twice on the settings page"
            rows[name] = (match.group(2), match.group(3))
    return rows


def test_settings_page_lists_every_field_once_in_order() -> None:
    documented = list(_settings_rows())
    fields = [generate.env_name(name) for name in Settings.model_fields]
    assert not set(fields) - set(documented), \
        f"missing from the settings page: {sorted(set(fields) - set(documented))}; {REGENERATE}"
    assert not set(documented) - set(fields), \
        f"not Settings fields: {sorted(set(documented) - set(fields))}; {REGENERATE}"
    assert documented == fields, f"the settings page is out of field order; {REGENERATE}"


def test_settings_page_defaults_match_the_code() -> None:
    rows = _settings_rows()
    wrong = {}
    for name, field in Settings.model_fields.items():
        variable = generate.env_name(name)
        cell = generate.default_cell(generate.field_default(field))
        if variable in rows and rows[variable][0] != cell:
            wrong[variable] = (rows[variable][0], cell)
    assert not wrong, f"defaults differ (page, code): {wrong!r}; {REGENERATE}"


def test_every_setting_says_what_it_means() -> None:
    bare = [name for name, field in Settings.model_fields.items() if not field.description]
    assert not bare, f"Settings fields without a description (the settings page shows it): {bare}"
    assert all(meaning for _, meaning in _settings_rows().values())


def test_default_cells_read_as_written_in_the_environment() -> None:
    assert generate.default_cell(None) == "unset"
    assert generate.default_cell(True) == "`true`"
    assert generate.default_cell(8000) == "`8000`"


def test_table_cells_hold_no_markup() -> None:
    assert generate.cell("a | b <org id>\n  c") == "a \\| b &lt;org id&gt; c"


def test_cli_options_cover_every_command() -> None:
    import typer

    from lexgraph.cli import app

    page = generate.CLI_PAGE.read_text(encoding="utf-8")
    root = typer.main.get_command(app)
    for path, _ in generate._commands(root, "lexgraph"):
        assert f"### `{path}`" in page, f"{path} has no options section; {REGENERATE}"


def test_api_page_names_every_operation() -> None:
    page = generate.API_PAGE.read_text(encoding="utf-8")
    document = generate.openapi_document()
    for path, item in document["paths"].items():
        for method in item:
            if method in {"get", "put", "post", "patch", "delete"}:
                assert f"`{method.upper()} {path}`" in page, f"{method} {path}; {REGENERATE}"


# --- README, the front door -----------------------------------------------------------------

@pytest.mark.parametrize("command", ["make demo", "make test"])
def test_readme_names_the_two_commands(readme: str, command: str) -> None:
    assert f"`{command}`" in readme or f"\n{command}\n" in readme


def test_the_two_commands_exist_in_the_makefile() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in ("demo", "test"):
        assert re.search(rf"^{target}:", makefile, re.MULTILINE), f"no '{target}' target"


def test_readme_is_a_front_door(readme: str) -> None:
    size = len(readme.encode("utf-8"))
    assert size <= 10 * 1024, f"README.md is {size} bytes; move detail into docs/"
    assert "from lexgraph.client import" in readme


def test_readme_links_point_at_files_that_exist(readme: str) -> None:
    for target in _MD_LINK.findall(readme):
        if urlsplit(target).scheme:
            continue
        path = (ROOT / target.split("#", 1)[0]).resolve()
        assert path.exists(), f"README links to {target}, which does not exist"


# --- the client examples ------------------------------------------------------------------

_PYTHON_BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)


def _client_examples() -> list[tuple[str, str]]:
    sources = [README, *sorted(DOCS.rglob("*.md"))]
    return [(str(path.relative_to(ROOT)), block) for path in sources
            for block in _PYTHON_BLOCK.findall(path.read_text(encoding="utf-8"))
            if "lexgraph.client" in block]


@pytest.mark.parametrize("where, code", _client_examples())
def test_client_examples_call_what_the_client_has(where: str, code: str) -> None:
    """Every name an example imports exists, and every ``lg.method(...)`` call names a method
    of ``Client`` with keywords its signature accepts."""
    import ast
    import inspect

    client = importlib.import_module("lexgraph.client")
    tree = ast.parse(code.replace("...", "x"), filename=where)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "lexgraph.client":
            for alias in node.names:
                assert hasattr(client, alias.name), f"{where}: lexgraph.client has no {alias.name}"
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name) and node.func.value.id == "lg"):
            method = getattr(client.Client, node.func.attr, None)
            assert method is not None, f"{where}: Client has no method {node.func.attr}"
            accepted = inspect.signature(method).parameters
            for keyword in node.keywords:
                assert keyword.arg in accepted, \
                    f"{where}: Client.{node.func.attr} takes no {keyword.arg}="


# --- the site -------------------------------------------------------------------------------

class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [value for name, value in attrs if name in ("href", "src") and value]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("mkdocs", reason="mkdocs is not installed: pip install -e '.[dev]'")
    pytest.importorskip("material", reason="mkdocs-material is not installed: "
                        "pip install -e '.[dev]'")
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict",
         "-f", str(ROOT / "mkdocs.yml"), "-d", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, f"mkdocs build --strict failed:\n{proc.stdout}\n{proc.stderr}"
    return out


def test_site_builds_strict_with_every_page(site: Path) -> None:
    for page in DOCS.rglob("*.md"):
        rel = page.relative_to(DOCS).with_suffix("")
        built = site / ("index.html" if rel.name == "index" and rel.parent == Path(".")
                        else rel / "index.html")
        assert built.exists(), f"{page.relative_to(ROOT)} was not built"


def test_no_page_links_outside_the_site_but_upstream_docs(site: Path) -> None:
    outside: dict[str, set[str]] = {}
    for html in site.rglob("*.html"):
        parser = _Links()
        parser.feed(html.read_text(encoding="utf-8"))
        for url in parser.urls:
            parts = urlsplit(url)
            if parts.scheme in ("http", "https") and parts.hostname not in UPSTREAM_DOCS:
                outside.setdefault(str(html.relative_to(site)), set()).add(url)
    assert not outside, f"links to hosts outside the site and upstream docs: {outside}"


def test_readme_links_only_upstream_docs(readme: str) -> None:
    for target in _MD_LINK.findall(readme):
        host = urlsplit(target).hostname
        assert host is None or host in UPSTREAM_DOCS, f"README links to {target}"
