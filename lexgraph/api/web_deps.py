"""What the web page's routes share: templates, sessions, drafts, and the signed-in
reader taken from the session cookie (the JSON API keeps Bearer keys)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from lexgraph.api.deps import Services, services
from lexgraph.api.web_session import (
    COOKIE,
    CSRF_HEADER,
    Session,
    SessionCodec,
    check_same_origin,
    load_secret,
)
from lexgraph.core.config.settings import Settings
from lexgraph.core.errors import Unauthorized
from lexgraph.core.jobs.keys import EndedSessions
from lexgraph.core.jobs.store import Principal
from lexgraph.graphs.checkpointer import checkpoint_key
from lexgraph.graphs.drafts import DraftReader

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"
TEMPLATES_DIR = HERE / "templates"


@dataclass
class WebServices:
    codec: SessionCodec
    drafts: DraftReader
    templates: Jinja2Templates
    ended: EndedSessions

    def close(self) -> None:
        self.drafts.close()


def make_web_services(settings: Settings, engine: Engine) -> WebServices:
    return WebServices(
        codec=SessionCodec(load_secret(settings), settings.web_session_hours * 3600),
        # Resolved at start: without a key in production the API does not start.
        drafts=DraftReader(settings.resolved_checkpoint_url, checkpoint_key(settings)),
        templates=Jinja2Templates(directory=str(TEMPLATES_DIR)),
        ended=EndedSessions(engine),
    )


def web_services(request: Request) -> WebServices:
    web: WebServices = request.app.state.web
    return web


@dataclass(frozen=True)
class Reader:
    """The person at the page: their tenant and their session's CSRF token."""

    who: Principal
    session: Session
    csrf: str


async def _reader(request: Request, svc: Services, web: WebServices) -> Reader | None:
    session = web.codec.read(request.cookies.get(COOKIE))
    if session is None:
        return None
    try:
        who = await run_in_threadpool(_signed_in, svc, web, session)
    except Unauthorized:
        return None
    return Reader(who, session, web.codec.csrf_token(session))


def _signed_in(svc: Services, web: WebServices, session: Session) -> Principal:
    # A signed-out cookie is refused even if a copy of it survived the sign-out; a revoked
    # key ends every session made with it.
    if web.ended.ended(session.token):
        raise Unauthorized("the session was signed out")
    return svc.store.principal_for_key_id(session.key_id)


async def optional_reader(
    request: Request,
    svc: Annotated[Services, Depends(services)],
    web: Annotated[WebServices, Depends(web_services)],
) -> Reader | None:
    return await _reader(request, svc, web)


async def reader(
    request: Request,
    svc: Annotated[Services, Depends(services)],
    web: Annotated[WebServices, Depends(web_services)],
) -> Reader:
    found = await _reader(request, svc, web)
    if found is None:
        raise Unauthorized("sign in on the web page first; the session has ended or is missing")
    return found


async def posting_reader(
    request: Request,
    web: Annotated[WebServices, Depends(web_services)],
    who: Annotated[Reader, Depends(reader)],
) -> Reader:
    """A signed-in reader whose request carries the page's CSRF token in its header."""
    check_same_origin(request)
    web.codec.check_csrf(who.session, request.headers.get(CSRF_HEADER))
    return who


WebDep = Annotated[WebServices, Depends(web_services)]
ReaderDep = Annotated[Reader, Depends(reader)]
OptionalReaderDep = Annotated[Reader | None, Depends(optional_reader)]
PostingReaderDep = Annotated[Reader, Depends(posting_reader)]
