"""The web page in a real browser (Debian's headless Chromium driven by Playwright) against a real
API server and worker: sign in, drop and upload documents, follow the live progress, open a
citation and compare the highlighted words with the cited quote, review a job, download.

Screenshots go to ``test-output/web/<test>/``. Every request the page makes is recorded, and
all must go to the page's own origin.
"""

from __future__ import annotations

import io
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from lexgraph.core.config.settings import Settings
from tests.conftest import REQUIRE_SERVICES
from tests.documents import OPINION_PDF
from tests.e2e.conftest import make_key
from tests.integration.test_agent_graph import CONTRACT, RETRIEVER, draft, final
from tests.support import Stack

REPO = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-gpu",
                 "--disable-default-apps", "--disable-extensions"]
# A laptop screen.
VIEWPORT = {"width": 1366, "height": 768}
PDF = OPINION_PDF  # shipped in tests/data/


def _unavailable(reason: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(reason + " and LEXGRAPH_REQUIRE_SERVICES=1", pytrace=False)
    pytest.skip(reason)


def _chromium() -> str:
    for candidate in (os.environ.get("LEXGRAPH_TEST_CHROMIUM"), shutil.which("chromium"),
                      "/usr/bin/chromium"):
        if candidate and Path(candidate).is_file():
            return candidate
    _unavailable("Chromium is not installed (apt-get install -y chromium)")
    raise AssertionError("unreachable")


@pytest.fixture
def browser() -> Iterator[Any]:
    executable = _chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (pip install -e '.[dev]')")
    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Path:
    out = REPO / "test-output" / "web" / request.node.name
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    return out


class Session:
    """A browser context on the stack, recording every request its pages make."""

    def __init__(self, browser: Any, stack: Stack, shots: Path) -> None:
        self.stack = stack
        self.shots = shots
        self.context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
        self.requests: list[str] = []
        self.context.on("request", lambda req: self.requests.append(req.url))
        self.page = self.context.new_page()
        self.page.set_default_timeout(30_000)
        self.console: list[str] = []
        self.page.on("console", lambda msg: self.console.append(f"{msg.type}: {msg.text}"))
        self.page.on("pageerror", lambda exc: self.console.append(f"pageerror: {exc}"))

    def shot(self, name: str) -> None:
        self.page.screenshot(path=str(self.shots / f"{name}.png"), full_page=True)

    def sign_in(self, key: str) -> None:
        self.page.goto(self.stack.base + "/")
        self.page.get_by_label("API key").fill(key)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.get_by_role("heading", name="New summary").wait_for()

    def foreign_requests(self) -> list[str]:
        own = self.stack.base + "/"
        return [url for url in self.requests if not url.startswith(own)]

    def close(self) -> None:
        self.context.close()


def _unlabelled_fields(page: Any) -> list[str]:
    return list(page.evaluate("""() => Array.from(
        document.querySelectorAll('input:not([type=hidden]), select, textarea'))
      .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                    && !el.getAttribute('aria-labelledby'))
      .map(el => el.outerHTML)"""))


# WCAG 2 contrast of every visible element's own text against the first opaque background
# behind it: 4.5:1, or 3:1 for large text.
_LOW_CONTRAST = """() => {
  const parse = (s) => {
    const m = s.match(/rgba?\\(([^)]+)\\)/);
    if (!m) { return null; }
    const p = m[1].split(',').map(parseFloat);
    return {rgb: p.slice(0, 3), a: p.length > 3 ? p[3] : 1};
  };
  const lum = (rgb) => {
    const [r, g, b] = rgb.map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const background = (el) => {
    for (; el; el = el.parentElement) {
      const c = parse(getComputedStyle(el).backgroundColor);
      if (c && c.a > 0.5) { return c.rgb; }
    }
    return [255, 255, 255];
  };
  const low = [];
  for (const el of document.querySelectorAll('body *')) {
    const own = Array.from(el.childNodes).some((n) => n.nodeType === 3 && n.textContent.trim());
    const box = el.getBoundingClientRect();
    if (!own || box.width < 2 || box.height < 2) { continue; }
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden') { continue; }
    const a = lum(parse(style.color).rgb);
    const b = lum(background(el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (parseInt(style.fontWeight, 10) >= 700 && size >= 18.66);
    if (ratio < (large ? 3 : 4.5)) {
      const text = el.textContent.trim().slice(0, 40);
      low.push(`${el.tagName}.${el.className} ${ratio.toFixed(2)}: ${text}`);
    }
  }
  return low;
}"""


def _quotes(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f"{s['key']}/{i}/{j}": c
            for s in result["sections"]
            for i, st in enumerate(s["statements"])
            for j, c in enumerate(st["citations"])}


def _wait_for_step(session: Session, event_type: str, timeout_s: float) -> None:
    try:
        session.page.locator(f'#progress-steps li[data-type="{event_type}"]').first.wait_for(
            timeout=timeout_s * 1000)
    except Exception:
        session.shot("timed-out")
        logs = "\n".join(p.read_text(errors="replace")[-3000:]
                         for p in sorted(session.stack.logs.glob("*.log")))
        raise AssertionError(f"no {event_type} on the page; console: {session.console}\n{logs}"
                             ) from None


def test_sign_in_upload_a_corpus_pdf_and_check_a_citation(embedded_settings: Settings,
                                                          stack_factory: Any, browser: Any,
                                                          shots: Path) -> None:
    key = make_key(embedded_settings)
    stack: Stack = stack_factory(embedded_settings)
    stack.start_api()
    stack.start_worker()
    session = Session(browser, stack, shots)
    page = session.page
    try:
        page.goto(stack.base + "/")
        session.shot("01-sign-in")
        assert _unlabelled_fields(page) == []
        page.get_by_label("API key").fill("lxg_not-a-key")
        page.get_by_role("button", name="Sign in").click()
        assert "not valid" in page.get_by_role("alert").inner_text()
        assert page.evaluate(_LOW_CONTRAST) == []

        session.sign_in(key)
        cookies = {c["name"]: c for c in session.context.cookies()}
        cookie = cookies["lexgraph_session"]
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
        assert key not in cookie["value"]
        assert "lexgraph_session" not in page.evaluate("document.cookie")
        assert _unlabelled_fields(page) == []
        assert page.evaluate(_LOW_CONTRAST) == []
        # The drop zone is reached with Tab, and shows that it has the focus.
        for _ in range(12):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.id") == "files":
                break
        assert page.evaluate("document.activeElement.id") == "files"
        assert page.eval_on_selector(".drop-label .button-like",
                                     "el => getComputedStyle(el).outlineStyle") == "solid"
        session.shot("02-signed-in")

        # A dropped folder's files go into the form; a file of another kind is left out.
        page.evaluate("""() => {
            const dt = new DataTransfer();
            dt.items.add(new File(['The lessee shall pay rent.'], 'lease.txt',
                                  {type: 'text/plain'}));
            dt.items.add(new File(['MZ'], 'setup.exe', {type: 'application/octet-stream'}));
            document.getElementById('dropzone').dispatchEvent(
                new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true}));
        }""")
        page.get_by_text("1 document ready to submit.").wait_for()
        assert page.eval_on_selector("#files", "el => Array.from(el.files).map(f => f.name)"
                                     ) == ["lease.txt"]
        assert "setup.exe" in page.locator("#errors").inner_text()

        page.get_by_label("Matter", exact=True).fill("bangor-appeal")
        page.get_by_label("Summary profile").select_option("court_opinion")
        page.set_input_files("#files", str(PDF))
        page.get_by_text("1 document ready to submit.").wait_for()
        page.get_by_role("button", name="Summarize").click()
        page.locator("#job-panel").wait_for()
        job_id = page.get_attribute("#job-panel", "data-job-id")
        assert job_id
        _wait_for_step(session, "job.progress", 120)
        session.shot("03-progress")
        _wait_for_step(session, "job.completed", 600)
        page.locator("#result-heading").wait_for()
        # The finished job's panel replaced the live one and follows the event stream again
        # from its first event: the steps are listed once that replay has reached the end.
        _wait_for_step(session, "job.completed", 30)
        stages = page.eval_on_selector_all(
            "#progress-steps li[data-stage]", "els => els.map(e => e.dataset.stage)")
        assert stages == ["ingest", "screen_documents", "redact", "retrieve", "summarize",
                          "check_compliance", "finalize"]
        assert page.evaluate(_LOW_CONTRAST) == []
        session.shot("04-result")

        with httpx.Client(base_url=stack.base, headers={"Authorization": f"Bearer {key}"},
                          timeout=30) as api:
            result = api.get(f"/v1/jobs/{job_id}/result").json()
            quotes = _quotes(result)
            assert quotes
            # Keyboard: Tab from the downloads reaches the first citation; Enter opens it.
            page.get_by_role("link", name="Download Word (DOCX)").focus()
            for _ in range(5):
                page.keyboard.press("Tab")
                if page.evaluate("document.activeElement.classList.contains('cite')"):
                    break
            focused = page.evaluate("document.activeElement.dataset.citation")
            assert focused in quotes
            page.keyboard.press("Enter")
            mark = page.locator("#source mark#cited-quote")
            mark.wait_for()
            citation = quotes[focused]
            assert mark.text_content() == citation["quote"]
            assert page.evaluate("document.activeElement.id") == "source-heading"
            meta = page.locator("#source .source-meta").inner_text()
            assert f"page {citation['page']} of" in meta and PDF.name in meta
            # The highlighted words are the page's own at the citation's offsets.
            source = api.get(f"/v1/jobs/{job_id}/documents/{citation['document_id']}"
                             f"/pages/{citation['page']}").json()
            assert source["text"][citation["start"]:citation["end"]] == citation["quote"]
            session.shot("05-citation")

            # Another citation by mouse.
            last = page.locator(".result .cite").last
            last.click()
            wanted = quotes[last.get_attribute("data-citation") or ""]["quote"]
            page.wait_for_function(
                "q => document.querySelector('#cited-quote')?.textContent === q", arg=wanted)

            markdown = api.get(f"/v1/jobs/{job_id}/result",
                               headers={"Accept": "text/markdown"}).text
        with page.expect_download() as download_md:
            page.get_by_role("link", name="Download Markdown").click()
        assert Path(download_md.value.path()).read_text(encoding="utf-8") == markdown
        with page.expect_download() as download_docx:
            page.get_by_role("link", name="Download Word (DOCX)").click()
        from docx import Document

        doc = Document(io.BytesIO(Path(download_docx.value.path()).read_bytes()))
        headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
        # Empty sections a reader does not expect are left out, as on the page and in Markdown.
        shown = [s["title"] for s in result["sections"] if s["statements"] or s["expected"]]
        assert shown == headings[:len(shown)]
        assert all(f"## {title}" in markdown for title in shown)
        assert not any(f"## {s['title']}\n" in markdown for s in result["sections"]
                       if not s["statements"] and not s["expected"])
        assert "Sources" in headings

        page.locator(f'#job-list [data-job-id="{job_id}"]').wait_for()
        assert "bangor-appeal" in page.locator("#job-list").inner_text()

        page.get_by_role("button", name="Sign out").click()
        page.get_by_role("button", name="Sign in").wait_for()
        assert "lexgraph_session" not in {c["name"] for c in session.context.cookies()}
        assert session.foreign_requests() == []
        assert len(session.requests) > 10
        assert not [line for line in session.console if line.startswith("pageerror")]
    finally:
        session.close()


def test_review_a_job_that_needs_it_and_approve(embedded_settings: Settings, stack_factory: Any,
                                                browser: Any, shots: Path,
                                                tmp_path: Path) -> None:
    # The first draft cites the wrong clause and goes back for one revise round; the second
    # promises an outcome, which the drafting policy escalates to a person.
    wrong = draft(("payment", "The Customer pays fees within thirty days of each invoice.",
                   "laws of England"))
    promise = draft(("payment", "Payment is guaranteed within thirty days.", "thirty days"))
    script = tmp_path / "script.json"
    script.write_text(json.dumps({"by_agent": {
        "retriever": RETRIEVER, "summarizer": [wrong, promise],
        "compliance checker": [final({"verdict": "revise", "findings": ["citation off"]}),
                               final({"verdict": "pass", "findings": []})]}}))
    key = make_key(embedded_settings)
    stack: Stack = stack_factory(embedded_settings, llm_backend="scripted", llm_script=script)
    stack.start_api()
    stack.start_worker()
    session = Session(browser, stack, shots)
    page = session.page
    try:
        session.sign_in(key)
        page.get_by_label("Matter", exact=True).fill("northwind-supply")
        page.get_by_label("Summary profile").select_option("contract")
        page.set_input_files("#files", files=[{"name": "services.txt", "mimeType": "text/plain",
                                               "buffer": CONTRACT.encode()}])
        page.get_by_role("button", name="Summarize").click()
        page.locator("#job-panel").wait_for()
        job_id = page.get_attribute("#job-panel", "data-job-id")
        _wait_for_step(session, "job.needs_review", 300)
        review = page.locator("section.review")
        review.wait_for()
        assert "no promises" in review.locator(".findings").inner_text()
        progress = page.locator("#progress-steps").inner_text()
        assert "Revising the summary (round 2)" in progress
        assert "Waiting for human review" in progress
        assert page.evaluate(_LOW_CONTRAST) == []
        statement = page.get_by_label("Statement 1", exact=True)
        assert statement.input_value() == "Payment is guaranteed within thirty days."
        assert _unlabelled_fields(page) == []
        session.shot("01-needs-review")

        # The draft's citation opens the cited passage, highlighted in its page.
        review.locator(".cite").first.click()
        mark = page.locator("#source mark#cited-quote")
        mark.wait_for()
        marked = mark.text_content() or ""
        # The cited sentence, not the whole chunk around it.
        assert "The Customer shall pay the fees within thirty days" in marked
        assert "Termination" not in marked
        with httpx.Client(base_url=stack.base, headers={"Authorization": f"Bearer {key}"},
                          timeout=30) as api:
            job = api.get(f"/v1/jobs/{job_id}").json()
            assert job["status"] == "needs_review"
            page_text = api.get(f"/v1/jobs/{job_id}/documents/{job['documents'][0]['id']}"
                                "/pages/1").json()["text"]
            assert marked in page_text
            session.shot("02-draft-citation")

            page.get_by_label("Comment").fill("Checked against clause 2.")
            page.get_by_role("button", name="Approve", exact=True).click()
            _wait_for_step(session, "job.completed", 300)
            page.locator("#result-heading").wait_for()
            assert "approve" in page.locator(".checks").inner_text()
            session.shot("03-approved")
            result = api.get(f"/v1/jobs/{job_id}/result").json()
        assert result["review"] == {"action": "approve", "comment": "Checked against clause 2.",
                                    "edits": 0}
        payment = next(s for s in result["sections"] if s["key"] == "payment")
        assert payment["statements"][0]["text"] in page.locator(".result").inner_text()
        steps = page.eval_on_selector_all("#progress-steps li",
                                          "els => els.map(e => e.dataset.type)")
        assert "job.needs_review" in steps and steps[-1] == "job.completed"
        assert session.foreign_requests() == []
    finally:
        session.close()
