"""The web page for legal staff: sign in, submit, follow progress, read and review summaries.

Server-rendered Jinja templates; htmx swaps fragments from the ``/ui`` routes into the page.
The page authenticates with a session cookie (see ``api/web_session.py``), never a Bearer
header, so these routes stay out of the OpenAPI document.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import (
    HTMLResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from lexgraph.api.deps import ServicesDep
from lexgraph.api.dispatch import review_and_dispatch, submit_and_dispatch
from lexgraph.api.forms import parse_submission
from lexgraph.api.resume import resume_point
from lexgraph.api.reviews import ReviewDecision
from lexgraph.api.web_deps import (
    OptionalReaderDep,
    PostingReaderDep,
    Reader,
    ReaderDep,
    WebDep,
    WebServices,
)
from lexgraph.api.web_session import (
    COOKIE,
    CSRF_FIELD,
    check_same_origin,
    cookie_secure,
)
from lexgraph.core.errors import Conflict, NotFound, Unauthorized, Unprocessable
from lexgraph.core.jobs.matters import matter_names
from lexgraph.core.summary import load_profiles
from lexgraph.core.summary.anchoring import anchor
from lexgraph.core.summary.docx_export import DOCX_MEDIA_TYPE, render_docx
from lexgraph.core.summary.length import DEFAULT_LENGTH, LENGTH_NAMES

router = APIRouter(include_in_schema=False)

# Everything the page loads comes from this origin; the policy makes the browser enforce it.
_PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'"),
    "X-Content-Type-Options": "nosniff",
    # Not no-referrer: under it browsers send "Origin: null" on form posts, which the
    # same-origin check must refuse.
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
_TERMINAL = ("succeeded", "failed", "cancelled")


def _render(web: WebServices, request: Request, name: str, context: dict[str, Any],
            status: int = 200, headers: dict[str, str] | None = None) -> HTMLResponse:
    response = web.templates.TemplateResponse(request, name, context, status_code=status)
    response.headers.update({**_PAGE_HEADERS, **(headers or {})})
    return response


def _profiles() -> list[tuple[str, str]]:
    return [(name, profile.title) for name, profile in load_profiles().items()]


# Sign-in ------------------------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
async def home(request: Request, svc: ServicesDep, web: WebDep,
               reader: OptionalReaderDep) -> HTMLResponse:
    if reader is None:
        return _render(web, request, "signin.html", {"error": None})
    matters = await run_in_threadpool(matter_names, svc.store.engine, reader.who.tenant_id)
    return _render(web, request, "app.html", {
        "reader": reader, "profiles": _profiles(), "matters": matters,
        "lengths": [(name, name.capitalize()) for name in LENGTH_NAMES],
        "default_length": DEFAULT_LENGTH, "max_documents": svc.settings.max_documents})


@router.post("/signin")
async def sign_in(request: Request, svc: ServicesDep, web: WebDep) -> Response:
    check_same_origin(request)
    form = await request.form(max_files=0, max_fields=4)
    key = str(form.get("api_key") or "").strip()
    try:
        who = await run_in_threadpool(svc.store.authenticate, key)
    except Unauthorized:
        return _render(web, request, "signin.html",
                       {"error": "That API key is not valid. Check it and try again."},
                       status=401)
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(COOKIE, web.codec.issue(who.key_id), httponly=True, samesite="strict",
                        secure=cookie_secure(svc.settings, request), path="/",
                        max_age=int(web.codec.max_age_seconds))
    return response


@router.post("/signout")
async def sign_out(request: Request, svc: ServicesDep, web: WebDep,
                   reader: OptionalReaderDep) -> Response:
    check_same_origin(request)
    if reader is not None:
        form = await request.form(max_files=0, max_fields=4)
        field = form.get(CSRF_FIELD)
        web.codec.check_csrf(reader.session, field if isinstance(field, str) else None)
        # Deleting the cookie only asks the browser; the server must refuse a kept copy too.
        await run_in_threadpool(web.ended.end, reader.session.token, reader.session.key_id,
                                reader.session.issued_at + web.codec.max_age_seconds)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict",
                           secure=cookie_secure(svc.settings, request))
    return response


# Jobs ---------------------------------------------------------------------------------------


@router.get("/ui/jobs", response_class=HTMLResponse)
async def job_list(request: Request, svc: ServicesDep, web: WebDep, reader: ReaderDep,
                   matter: str | None = None, cursor: str | None = None) -> HTMLResponse:
    page = await run_in_threadpool(svc.store.list_jobs, reader.who, matter=matter or None,
                                   limit=50, cursor=cursor or None)
    return _render(web, request, "_jobs.html", {"page": page, "matter": matter or ""})


@router.post("/ui/jobs", response_class=HTMLResponse)
async def submit(request: Request, svc: ServicesDep, web: WebDep,
                 reader: PostingReaderDep) -> HTMLResponse:
    submission = await parse_submission(request, svc.settings)
    outcome = await run_in_threadpool(submit_and_dispatch, svc, reader.who, submission, None)
    context = await run_in_threadpool(_job_context, svc, web, reader, outcome.job_id)
    return _render(web, request, "_job.html", context, headers={"HX-Trigger": "jobs-changed"})


def _last_event_id(svc: Any, reader: Reader, job_id: str) -> int:
    after = 0
    while True:
        page = svc.store.events(reader.who, job_id, after=after, limit=500)
        if page["data"]:
            after = page["data"][-1]["id"]
        if page["next_after"] is None:
            return after


def _review_request(svc: Any, reader: Reader, job_id: str) -> dict[str, Any]:
    """What the graph asked the reviewer (verdict, findings): the last job.needs_review event."""
    after, found = 0, {}
    while True:
        page = svc.store.events(reader.who, job_id, after=after, limit=500)
        for event in page["data"]:
            if event["type"] == "job.needs_review":
                found = event["data"]
        if page["next_after"] is None:
            return found
        after = page["next_after"]


def _job_context(svc: Any, web: WebServices, reader: Reader, job_id: str) -> dict[str, Any]:
    job = svc.store.get_job(reader.who, job_id)
    context: dict[str, Any] = {
        "reader": reader, "job": job, "result": None, "draft": None, "review_request": None,
        "last_event_id": _last_event_id(svc, reader, job_id),
        "profile_title": dict(_profiles()).get(job["profile"], job["profile"]),
        "terminal": job["status"] in _TERMINAL,
    }
    if job["status"] == "succeeded":
        context["result"] = svc.store.result(reader.who, job_id).body
    elif job["status"] == "needs_review":
        context["draft"] = web.drafts.read(job_id)
        context["review_request"] = _review_request(svc, reader, job_id)
    return context


@router.get("/ui/jobs/{job_id}", response_class=HTMLResponse)
async def job_panel(job_id: str, request: Request, svc: ServicesDep, web: WebDep,
                    reader: ReaderDep) -> HTMLResponse:
    context = await run_in_threadpool(_job_context, svc, web, reader, job_id)
    return _render(web, request, "_job.html", context)


@router.get("/ui/jobs/{job_id}/events")
async def job_stream(
    job_id: str, svc: ServicesDep, reader: ReaderDep,
    after: Annotated[int | None, Query(ge=0)] = None,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> StreamingResponse:
    start = resume_point(after, last_event_id)
    await run_in_threadpool(svc.events.check, reader.who.tenant_id, job_id)
    return StreamingResponse(
        svc.events.stream(reader.who.tenant_id, job_id, start), media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


def _citation(svc: Any, web: WebServices, reader: Reader, job_id: str, section: str,
              statement: int, index: int) -> dict[str, Any]:
    job = svc.store.get_job(reader.who, job_id)
    if job["status"] == "succeeded":
        body = svc.store.result(reader.who, job_id).body
        # A key term's clause is cited as statement <row> of the pseudo-section "key_terms".
        terms = [{"citations": [t["citation"]] if t.get("citation") else []}
                 for t in body.get("key_terms", [])]
        sections = [*body.get("sections", []), {"key": "key_terms", "statements": terms}]
    elif job["status"] == "needs_review":
        sections = (web.drafts.read(job_id) or {}).get("sections", [])
    else:
        raise Conflict(f"job {job_id!r} is {job['status']}; it has no statements to cite yet")
    for candidate in sections:
        if candidate.get("key") != section:
            continue
        statements = candidate.get("statements", [])
        if 0 <= statement < len(statements):
            citations = statements[statement].get("citations", [])
            if 0 <= index < len(citations):
                found: dict[str, Any] = citations[index]
                return found
    raise NotFound(f"no citation {index + 1} on statement {statement + 1} of {section!r}")


def _passage_context(svc: Any, web: WebServices, reader: Reader, job_id: str, section: str,
                     statement: int, index: int) -> dict[str, Any]:
    citation = _citation(svc, web, reader, job_id, section, statement, index)
    page = svc.sources.page(reader.who.tenant_id, job_id, citation["document_id"],
                            int(citation["page"]))
    spot = anchor(page.text, int(citation["start"]), int(citation["end"]), citation["quote"])
    return {"citation": citation, "page": page, "anchor": spot,
            "before": page.text[:spot.start] if spot else page.text,
            "marked": page.text[spot.start:spot.end] if spot else "",
            "after": page.text[spot.end:] if spot else ""}


@router.get("/ui/jobs/{job_id}/citations/{section}/{statement}/{index}",
            response_class=HTMLResponse)
async def passage(job_id: str, section: str, statement: int, index: int, request: Request,
                  svc: ServicesDep, web: WebDep, reader: ReaderDep) -> HTMLResponse:
    context = await run_in_threadpool(_passage_context, svc, web, reader, job_id, section,
                                      statement, index)
    return _render(web, request, "_passage.html", context)


def _decision(form: Any, draft: dict[str, Any] | None) -> ReviewDecision:
    action = str(form.get("action") or "")
    comment = str(form.get("comment") or "").strip() or None
    edits: list[dict[str, Any]] = []
    if action == "edit":
        for section in (draft or {}).get("sections", []):
            for i, statement in enumerate(section.get("statements", [])):
                name = f"{section['key']}:{i}"
                if form.get(f"delete:{name}"):
                    edits.append({"section": section["key"], "index": i, "delete": True})
                    continue
                text = str(form.get(f"text:{name}") or "").strip()
                if text and text != statement["text"].strip():
                    edits.append({"section": section["key"], "index": i, "text": text})
        if not edits:
            raise Unprocessable("no statement was changed; edit a statement, tick Remove, or "
                                "choose Approve")
    try:
        return ReviewDecision.model_validate({"action": action, "edits": edits,
                                              "comment": comment})
    except ValidationError as exc:
        raise Unprocessable("; ".join(e["msg"] for e in exc.errors())) from None


def _own_draft(svc: Any, web: WebServices, reader: Reader, job_id: str) -> dict[str, Any] | None:
    svc.store.get_job(reader.who, job_id)  # the tenant check, before the checkpoint is read
    return web.drafts.read(job_id)


@router.post("/ui/jobs/{job_id}/review", response_class=HTMLResponse)
async def review(job_id: str, request: Request, svc: ServicesDep, web: WebDep,
                 reader: PostingReaderDep) -> HTMLResponse:
    form = await request.form(max_files=0, max_fields=2000)
    draft = None
    if form.get("action") == "edit":
        draft = await run_in_threadpool(_own_draft, svc, web, reader, job_id)
    decision = _decision(form, draft)
    await run_in_threadpool(review_and_dispatch, svc, reader.who, job_id, decision)
    context = await run_in_threadpool(_job_context, svc, web, reader, job_id)
    return _render(web, request, "_job.html", context, headers={"HX-Trigger": "jobs-changed"})


@router.post("/ui/jobs/{job_id}/cancel", response_class=HTMLResponse)
async def cancel(job_id: str, request: Request, svc: ServicesDep, web: WebDep,
                 reader: PostingReaderDep) -> HTMLResponse:
    await run_in_threadpool(svc.store.cancel, reader.who, job_id)
    context = await run_in_threadpool(_job_context, svc, web, reader, job_id)
    return _render(web, request, "_job.html", context, headers={"HX-Trigger": "jobs-changed"})


@router.get("/ui/jobs/{job_id}/summary.md")
async def download_markdown(job_id: str, svc: ServicesDep, reader: ReaderDep) -> Response:
    res = await run_in_threadpool(svc.store.result, reader.who, job_id)
    return PlainTextResponse(res.markdown, media_type="text/markdown; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{job_id}.md"'})


@router.get("/ui/jobs/{job_id}/summary.docx")
async def download_docx(job_id: str, svc: ServicesDep, reader: ReaderDep) -> Response:
    res = await run_in_threadpool(svc.store.result, reader.who, job_id)
    data = await run_in_threadpool(render_docx, res.body)
    return Response(data, media_type=DOCX_MEDIA_TYPE, headers={
        "Content-Disposition": f'attachment; filename="{job_id}.docx"'})
