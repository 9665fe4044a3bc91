"""Tracing: root-run identity, the anonymizer, header propagation and the content policy,
against the real LangSmith SDK talking to a loopback recorder."""

from __future__ import annotations

import contextvars
import json
import os
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, TypedDict

import pytest
from langgraph.graph import END, START, StateGraph

from lexgraph.adapters.tracing.langsmith_tracer import LangSmithTracer, ui_base_url
from lexgraph.composition import tracing as composition_tracing
from lexgraph.core import tracing
from lexgraph.core.config.settings import Settings
from lexgraph.core.ids import new_id
from lexgraph.core.pii import PseudonymMap, get_detector
from lexgraph.core.tracing import JobTrace, TraceAnonymizer, root_run_id
from tests.langsmith_server import LangSmithRecorder, langsmith_server, silent_server

NAME, EMAIL, SSN = "Ms. Imogen Halvorsen", "imogen.halvorsen@quillmere.example", "219-09-9999"
CANARIES = [b"Halvorsen", b"imogen.halvorsen", b"219-09-9999", b"219 09 9999"]
PROJECT = "5f0c8a52-7d7e-4c55-9a6e-0b7c1e2d3f40"
TEXT = f"Notice to {NAME} ({EMAIL}), SSN {SSN}, on behalf of the Supplier."


def _wait(predicate: Any, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError("timed out waiting for the uploads")


# Root-run identity --------------------------------------------------------------------------


def test_root_run_id_is_a_stable_uuid7_carrying_the_job_clock() -> None:
    job_id = new_id("job")
    run_id = root_run_id(job_id)
    assert run_id == root_run_id(job_id)
    assert run_id.version == 7 and run_id.variant == uuid.RFC_4122
    assert root_run_id(new_id("job")) != run_id
    millis = run_id.int >> 80
    assert abs(millis / 1000 - time.time()) < 5


# The anonymizer -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def anonymizer() -> TraceAnonymizer:
    return TraceAnonymizer(lambda: get_detector(Settings()))


def test_anonymizer_replaces_personal_data_and_drops_the_pseudonym_map(
        anonymizer: TraceAnonymizer) -> None:
    pmap = PseudonymMap()
    person = pmap.placeholder_for("PERSON", "Imogen Halvorsen")
    state = {"job_id": "job_x", "pii": pmap.to_state(),
             "chunks": [{"id": "d:1:1", "text": TEXT}],
             "nested": [[{"note": "Halvorsen signed it."}]],
             "redactions": {"PERSON": 1}, "count": 3}
    out = anonymizer(json.loads(json.dumps(state)))
    dumped = json.dumps(out).encode()
    for canary in CANARIES:
        assert canary not in dumped
    assert "pii" not in out and out["redactions"] == {"PERSON": 1} and out["count"] == 3
    # The job's own placeholder, not a fresh one: the trace reads like the prompts.
    assert person in out["chunks"][0]["text"]
    assert out["nested"][0][0]["note"] == f"{person} signed it."
    assert "<EMAIL_" in out["chunks"][0]["text"] and "<SSN_" in out["chunks"][0]["text"]


def test_anonymizer_drops_a_map_wherever_it_sits(anonymizer: TraceAnonymizer) -> None:
    pmap = PseudonymMap()
    pmap.placeholder_for("SSN", SSN)
    out = anonymizer({"update": {"redact": {"pii": pmap.to_state(), "ok": True}},
                      "list": [pmap.to_state(), "kept"]})
    assert out == {"update": {"redact": {"ok": True}}, "list": ["kept"]}
    assert SSN not in json.dumps(out)


def test_anonymizer_scrubs_error_text_and_keeps_plain_text(anonymizer: TraceAnonymizer) -> None:
    assert SSN not in anonymizer({"error": f"ValueError: bad SSN {SSN}"})["error"]
    plain = {"node": "retrieve", "query": "termination for convenience", "k": 6}
    assert anonymizer(plain) == plain


# Against the real SDK -----------------------------------------------------------------------


@pytest.fixture
def recorder() -> Iterator[LangSmithRecorder]:
    with langsmith_server() as server:
        yield server


def _tracer(recorder: LangSmithRecorder, monkeypatch: pytest.MonkeyPatch,
            content: str = "redacted") -> Iterator[LangSmithTracer]:
    import langsmith

    settings = Settings(trace_content=content,  # type: ignore[arg-type]
                        langsmith_project="lexgraph-test",
                        langsmith_project_url=f"http://ui.test/o/org/projects/p/{PROJECT}")
    tracer = LangSmithTracer(settings, api_key="test-key", api_url=recorder.url)
    monkeypatch.setattr(tracing, "_active", tracer)
    yield tracer
    tracer.flush()
    langsmith.configure(client=None, enabled=None, project_name=None)


@pytest.fixture
def tracer(recorder: LangSmithRecorder,
           monkeypatch: pytest.MonkeyPatch) -> Iterator[LangSmithTracer]:
    yield from _tracer(recorder, monkeypatch)


class _State(TypedDict, total=False):
    text: str
    pii: dict[str, Any]
    out: str


def _graph() -> Any:
    def node(state: _State) -> dict[str, Any]:
        with tracing.span("agent: retriever", inputs={"task": state["text"]}) as agent:
            with tracing.llm_span("llm: retriever", model="m-1",
                                  messages=[{"role": "user", "content": state["text"]}]) as llm:
                llm.finish_llm("Final Answer: done", model="m-1", prompt_tokens=12,
                               completion_tokens=4)
            tool = tracing.open_span("search_passages", "tool", inputs={"query": "fees"})
            tool.finish({"output": state["text"]})
            tool.close()
            tracing.record("guard: call search_passages", "chain", inputs={"tool": "x"},
                           outputs={"action": "allow"}, kind="guard")
            agent.finish({"answer": "done"})
        pmap = PseudonymMap()
        pmap.placeholder_for("PERSON", "Imogen Halvorsen")
        return {"out": "done", "pii": pmap.to_state()}

    graph = StateGraph(_State)
    graph.add_node("summarize", node)
    graph.add_edge(START, "summarize")
    graph.add_edge("summarize", END)
    return graph.compile(name="lexgraph-job")


def _open(tracer: LangSmithTracer) -> tuple[str, JobTrace]:
    job_id = new_id("job")
    opened = tracer.open_job(job_id, created_at=datetime.now(UTC),
                             inputs={"instructions": TEXT},
                             metadata={"matter": "harbourline", "profile": "contract"},
                             tags=["lexgraph"])
    assert opened is not None
    opened.post()
    return job_id, opened.trace


def test_a_worker_continues_the_tree_from_stored_headers(
        tracer: LangSmithTracer, recorder: LangSmithRecorder) -> None:
    job_id, trace = _open(tracer)
    assert trace.run_id == str(root_run_id(job_id))
    assert trace.url == (f"http://ui.test/o/org/projects/p/{PROJECT}/r/{trace.run_id}"
                         f"?trace_id={trace.run_id}&start_time=" + trace.url.split("=")[-1])
    stored = json.loads(json.dumps(trace.to_state()))  # as the jobs table keeps it

    # The worker side runs with none of the API's context: a fresh context in a new thread.
    def worker() -> None:
        restored = JobTrace.from_state(stored)
        assert restored is not None
        with tracing.continue_trace(restored.headers, "attempt 1", attempt=1) as span:
            assert tracing.current_trace_headers()["langsmith-trace"].startswith(
                restored.headers["langsmith-trace"] + ".")
            _graph().invoke({"text": TEXT})
            span.finish({"outcome": "succeeded"})
        tracer.end_job(restored, "succeeded")

    thread = threading.Thread(target=contextvars.Context().run, args=(worker,))
    thread.start()
    thread.join()
    tracer.flush()
    _wait(lambda: any(r.get("end_time") for r in recorder.runs_named("job")))
    runs = {r["name"]: r for r in recorder.all_runs()}
    assert set(runs) >= {"job", "attempt 1", "lexgraph-job", "summarize", "agent: retriever",
                         "llm: retriever", "search_passages", "guard: call search_passages"}
    assert {r["trace_id"] for r in runs.values()} == {trace.run_id}
    parent = {name: r.get("parent_run_id") for name, r in runs.items()}
    ids = {name: r["id"] for name, r in runs.items()}
    assert parent["job"] is None
    assert parent["attempt 1"] == ids["job"]
    assert parent["lexgraph-job"] == ids["attempt 1"]
    assert parent["summarize"] == ids["lexgraph-job"]
    assert parent["agent: retriever"] == ids["summarize"]
    for child in ("llm: retriever", "search_passages", "guard: call search_passages"):
        assert parent[child] == ids["agent: retriever"], child
    assert runs["job"]["outputs"] == {"status": "succeeded"}
    assert runs["job"]["extra"]["metadata"]["matter"] == "harbourline"
    llm = runs["llm: retriever"]
    assert llm["run_type"] == "llm" and runs["search_passages"]["run_type"] == "tool"
    assert llm["extra"]["metadata"]["usage_metadata"] == {
        "input_tokens": 12, "output_tokens": 4, "total_tokens": 16}
    assert runs["attempt 1"]["extra"]["metadata"]["attempt"] == 1
    raw = recorder.raw()
    for canary in CANARIES:
        assert canary not in raw, canary
    assert b'"surfaces"' not in raw  # no pseudonym map went up
    assert b"<PERSON_1>" in raw and b"<SSN_1>" in raw


def test_content_none_uploads_no_inputs_or_outputs(
        recorder: LangSmithRecorder, monkeypatch: pytest.MonkeyPatch) -> None:
    for tracer in _tracer(recorder, monkeypatch, content="none"):
        _, trace = _open(tracer)
        with tracing.continue_trace(trace.headers, "attempt 1"):
            _graph().invoke({"text": TEXT})
        tracer.flush()
        _wait(lambda: recorder.runs_named("llm: retriever"))
    runs = recorder.all_runs()
    assert len(runs) >= 6
    for run in runs:
        assert not run.get("inputs") and not run.get("outputs"), run["name"]
    raw = recorder.raw()
    for canary in CANARIES:
        assert canary not in raw, canary


def test_feedback_goes_to_the_root_run_with_its_text_masked(
        tracer: LangSmithTracer, recorder: LangSmithRecorder) -> None:
    _, trace = _open(tracer)
    sent = tracer.feedback(trace, key="reviewer", score=0.25,
                           comment=f"Leaves out {NAME}.", correction=f"Add SSN {SSN}.",
                           feedback_id=tracing.feedback_id("fbk_1"))
    assert sent
    [posted] = recorder.feedback
    assert posted["run_id"] == trace.run_id and posted["key"] == "reviewer"
    assert posted["score"] == 0.25 and posted["session_id"] == PROJECT
    assert posted["id"] == str(tracing.feedback_id("fbk_1"))
    assert "Halvorsen" not in posted["comment"] and SSN not in json.dumps(posted)


def test_without_an_api_key_nothing_is_attempted(
        recorder: LangSmithRecorder, monkeypatch: pytest.MonkeyPatch) -> None:
    import langsmith

    monkeypatch.delenv("LANGSMITH_API_KEY", raising=False)
    monkeypatch.delenv("LANGCHAIN_API_KEY", raising=False)
    # Everything that could switch LangChain's own tracing on, pointed at the recorder.
    monkeypatch.setenv("LANGSMITH_ENDPOINT", recorder.url)
    monkeypatch.setenv("LANGSMITH_TRACING", "true")
    monkeypatch.setenv("LANGCHAIN_TRACING_V2", "true")
    monkeypatch.setattr(tracing, "_configured_for", None)
    try:
        tracer = composition_tracing.configure_tracing(Settings())
        assert not tracer.enabled
        assert tracer.open_job(new_id("job"), created_at=datetime.now(UTC), inputs={},
                               metadata={}, tags=[]) is None
        headers = {"langsmith-trace": "20261129T000000000000Z" + str(uuid.uuid4())}
        with tracing.continue_trace(headers, "attempt 1"):
            assert tracing.current_trace_headers() == {}
            _graph().invoke({"text": TEXT})
        assert not tracer.feedback(None, key="reviewer", score=1.0, comment=None,
                                   correction=None)
        tracer.flush()
        time.sleep(1.0)  # a background uploader, had one started, would have sent by now
    finally:
        monkeypatch.setattr(tracing, "_active", tracing.NoopTracer())
        langsmith.configure(enabled=None)
    assert recorder.connections == 0 and recorder.uploads == []


def test_a_remembered_map_masks_a_payload_that_carries_none() -> None:
    anonymizer = TraceAnonymizer(lambda: get_detector(Settings()))
    pmap = PseudonymMap()
    person = pmap.placeholder_for("PERSON", "Hope Swift")
    # No recognizer finds this name on its own: no title, no role, no signature block, and
    # both its words are dictionary words.
    sentence = {"result": "Payment goes to Hope Swift within thirty days."}
    assert "Hope Swift" in anonymizer(sentence)["result"]
    anonymizer({"state": {"pii": pmap.to_state()}})  # a node's inputs, as LangGraph sends them
    assert anonymizer(sentence)["result"] == f"Payment goes to {person} within thirty days."


def test_an_unreachable_langsmith_never_holds_up_submissions(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import langsmith

    from tests.support import free_port

    down = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    tracer = LangSmithTracer(Settings(), api_key="test-key", api_url=down)
    monkeypatch.setattr(tracing, "_active", tracer)
    try:
        lookup = threading.Thread(target=tracer.resolve_project, daemon=True)
        lookup.start()
        timings = []
        for _ in range(3):
            start = time.monotonic()
            opened = tracer.open_job(new_id("job"), created_at=datetime.now(UTC), inputs={},
                                     metadata={}, tags=[])
            timings.append(time.monotonic() - start)
            assert opened is not None and opened.trace.url is None
            assert opened.trace.headers["langsmith-trace"]  # the tree still works, linkless
        assert timings[0] < 3.0 and max(timings[1:]) < 0.2, timings
    finally:
        lookup.join(timeout=60)  # its retries end on their own; don't leave them to others
        langsmith.configure(client=None, enabled=None, project_name=None)


# LangSmith's address, project and timeouts --------------------------------------------------


@pytest.mark.parametrize(("api_url", "ui_url", "expected"), [
    ("https://api.smith.langchain.com", None, "https://smith.langchain.com"),
    ("https://eu.api.smith.langchain.com", None, "https://eu.smith.langchain.com"),
    ("http://127.0.0.1:8123", None, "http://127.0.0.1:8123"),
    ("http://localhost:1984", None, "http://localhost:1984"),
    ("https://langsmith.corp.example/api/v1", None, "https://langsmith.corp.example"),
    ("https://langsmith.corp.example:8443/api", None, "https://langsmith.corp.example:8443"),
    ("http://127.0.0.1:8123", "https://ui.corp.example/", "https://ui.corp.example"),
])
def test_trace_links_point_at_the_configured_endpoint(api_url: str, ui_url: str | None,
                                                      expected: str) -> None:
    assert ui_base_url(api_url, ui_url) == expected


def test_a_looked_up_project_links_to_the_endpoints_host_and_port(
        recorder: LangSmithRecorder) -> None:
    import langsmith

    tracer = LangSmithTracer(Settings(), api_key="test-key", api_url=recorder.url)
    try:
        tracer.resolve_project()
        _, trace = _open(tracer)
        project = recorder.projects["lexgraph"]
        assert trace.url is not None and trace.url.startswith(
            f"{recorder.url}/o/{project['tenant_id']}/projects/p/{project['id']}/r/"
            f"{trace.run_id}?")
    finally:
        tracer.flush()
        langsmith.configure(client=None, enabled=None, project_name=None)


def test_the_sdks_project_variable_is_honoured(recorder: LangSmithRecorder,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import langsmith

    monkeypatch.setenv("LANGSMITH_PROJECT", "lexgraph-eval")
    monkeypatch.delenv("LEXGRAPH_LANGSMITH_PROJECT", raising=False)
    tracer = LangSmithTracer(Settings(), api_key="test-key", api_url=recorder.url)
    try:
        assert tracer.project == "lexgraph-eval"
        tracer.resolve_project()
        _open(tracer)
        tracer.flush()
        [root] = _wait(lambda: recorder.runs_named("job"))
        assert root["session_name"] == "lexgraph-eval"
        assert set(recorder.projects) == {"lexgraph-eval"}
    finally:
        langsmith.configure(client=None, enabled=None, project_name=None)
    # lexgraph's own setting wins when both are set.
    monkeypatch.setenv("LEXGRAPH_LANGSMITH_PROJECT", "lexgraph-prod")
    assert composition_tracing.project_name(Settings()) == "lexgraph-prod"


def test_feedback_to_a_langsmith_that_never_answers_returns_within_seconds(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import langsmith

    with silent_server() as silent:
        tracer = LangSmithTracer(Settings(), api_key="test-key", api_url=silent.url)
        try:
            _, trace = _open(tracer)
            started = time.monotonic()
            sent = tracer.feedback(trace, key="reviewer", score=1.0, comment="Fine.",
                                   correction=None)
            took = time.monotonic() - started
            assert sent is False and took < 6.0, took
            assert silent.connections >= 1  # it did try
            started = time.monotonic()
            tracer.flush()
            assert time.monotonic() - started < 7.0
        finally:
            langsmith.configure(client=None, enabled=None, project_name=None)


def test_feedback_that_was_not_answered_is_sent_again(
        tracer: LangSmithTracer, recorder: LangSmithRecorder) -> None:
    _, trace = _open(tracer)
    recorder.stall["/feedback"] = 1
    tracer.feedback_retries = (0.2,)
    started = time.monotonic()
    sent = tracer.feedback(trace, key="reviewer", score=0.5, comment=None, correction=None,
                           feedback_id=tracing.feedback_id("fbk_retry"))
    assert sent is False and time.monotonic() - started < 6.0
    [posted] = _wait(lambda: list(recorder.feedback), timeout=20)
    assert posted["id"] == str(tracing.feedback_id("fbk_retry")) and posted["score"] == 0.5


def test_the_recognizers_load_while_the_project_lookup_hangs(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import langsmith

    with silent_server() as silent:
        monkeypatch.setenv("LANGSMITH_API_KEY", "test-key")
        monkeypatch.setenv("LANGSMITH_ENDPOINT", silent.url)
        monkeypatch.setattr(tracing, "_configured_for", None)
        try:
            tracer = composition_tracing.configure_tracing(Settings())
            assert isinstance(tracer, LangSmithTracer)
            # The first job's runs are masked with these; they must not wait for LangSmith.
            _wait(lambda: tracer.anonymizer.ready, timeout=60)
            assert not tracer._project_ready.is_set()
        finally:
            monkeypatch.setattr(tracing, "_active", tracing.NoopTracer())
            monkeypatch.setattr(tracing, "_configured_for", None)
            langsmith.configure(client=None, enabled=None, project_name=None)


def test_a_process_exits_within_seconds_when_langsmith_never_answers(tmp_path: Any) -> None:
    import subprocess
    import sys

    script = tmp_path / "exit.py"
    script.write_text(
        "import sys, time\n"
        "from datetime import UTC, datetime\n"
        "from lexgraph.core.config.settings import Settings\n"
        "from lexgraph.core.ids import new_id\n"
        "from lexgraph.adapters.tracing.langsmith_tracer import LangSmithTracer\n"
        "tracer = LangSmithTracer(Settings(trace_content='full'), api_key='k',\n"
        "                         api_url=sys.argv[1])\n"
        "opened = tracer.open_job(new_id('job'), created_at=datetime.now(UTC), inputs={},\n"
        "                         metadata={}, tags=[])\n"
        "opened.post()\n"
        "with tracer.continue_trace(opened.trace.headers, 'attempt 1'):\n"
        "    with tracer.span('step', inputs={'x': 1}) as span:\n"
        "        span.finish({'y': 2})\n"
        "time.sleep(1.0)  # the uploader is now waiting on the endpoint\n"
        "started = time.monotonic()\n"
        "tracer.flush()\n"
        "print(f'flushed {time.monotonic() - started:.1f}', flush=True)\n")
    with silent_server() as silent:
        env = {k: v for k, v in os.environ.items() if not k.startswith("LANGSMITH_")}
        started = time.monotonic()
        done = subprocess.run([sys.executable, str(script), silent.url], env=env,
                              capture_output=True, text=True, timeout=120, check=False)
        took = time.monotonic() - started
    assert done.returncode == 0, done.stderr[-2000:]
    flushed = float(done.stdout.split()[-1])
    # Imports take a few seconds of their own; what counts is the time after the flush.
    assert flushed < 6.5 and took - flushed < 25, (flushed, took)


def test_the_anonymizer_withholds_what_it_cannot_screen() -> None:
    from lexgraph.core.pii import PresidioDetector
    from lexgraph.core.tracing.anonymize import WITHHELD

    # Recognizers that cannot load (a model that is not installed): nothing goes up as is.
    broken = TraceAnonymizer(lambda: PresidioDetector(ner_model="no_such_spacy_model"))
    out = broken({"inputs": {"text": TEXT, "n": 3, "pii": PseudonymMap().to_state()}})
    assert out == {"inputs": {"text": WITHHELD, "n": 3}}
    # One string that cannot be screened (a lone surrogate from a badly decoded file).
    working = TraceAnonymizer(lambda: get_detector(Settings()))
    out = working({"a": TEXT, "b": f"{TEXT} \udcff"})
    assert out["b"] == WITHHELD and "<SSN_1>" in out["a"] and SSN not in out["a"]
