"""Server-rendered pages, thumbnails and full-size views."""

from __future__ import annotations

import json
import math
import secrets
from typing import Any, TypedDict
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from sichter.errors import CryptoError, EvidenceError, UsageError
from sichter.evidence.sniff import REVIEWABLE_MEDIA
from sichter.store.crypto import derivative_context, open_sealed
from sichter.store.models import Case, Content, Derivative
from sichter.web.app import render, state
from sichter.web.deps import db, member_case, user
from sichter.web.security import WebSession, csrf_ok
from sichter.web.services import accounts, audit, grid, items, learning, logins, overview
from sichter.web.services.original import browser_image, read_original
from sichter.web.services.schemes import Category, categories

router = APIRouter(include_in_schema=False)
FILTER_KEYS = ("status", "suggested", "decided", "band", "explicit_min", "explicit_max", "path",
               "reviewed", "media")


def _check_form_csrf(request: Request, token: str) -> WebSession:
    sess: WebSession = request.state.session
    if not csrf_ok(sess, token):
        raise HTTPException(status_code=403, detail="missing or wrong CSRF token")
    return sess


@router.get("/login")
def login_page(request: Request) -> Response:
    return render(request, "login.html")


@router.post("/login")
def login(request: Request, name: str = Form(), password: str = Form(), csrf_token: str = Form(""),
          s: Session = Depends(db)) -> Response:
    sess = _check_form_csrf(request, csrf_token)
    throttle = state(request).throttle
    if (wait := throttle.wait(name)) > 0:
        return render(request, "login.html", status_code=429, name=name,
                      paused_minutes=math.ceil(wait / 60))
    found = accounts.authenticate(s, name, password)
    s.commit()
    if found is None:
        throttle.failed(name)
        return render(request, "login.html", status_code=401, error=True, name=name)
    throttle.succeeded(name)
    logins.end(s, sess.token)
    sess.token = logins.start(s, found.id)
    s.commit()
    if sess.lang is not None:  # chosen on the login page: it becomes the user's preference
        accounts.set_preferences(s, found.id, {"lang": sess.lang})
        s.commit()
        sess.lang = None
    sess.user_id = found.id
    sess.csrf = secrets.token_urlsafe(32)  # a new token for the new privilege
    return RedirectResponse("/", status_code=303)


@router.post("/logout")
def logout(request: Request, csrf_token: str = Form(""), s: Session = Depends(db)) -> Response:
    sess = _check_form_csrf(request, csrf_token)
    logins.end(s, sess.token)  # a copy of the cookie stops working too
    s.commit()
    request.state.logged_out = True
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie("sichter_session", path="/")
    return response


@router.post("/lang")
def set_lang(request: Request, lang: str = Form(), next: str = Form("/"),
             csrf_token: str = Form(""), s: Session = Depends(db)) -> Response:
    sess = _check_form_csrf(request, csrf_token)
    if lang in ("de", "en"):
        if request.state.user is not None:
            accounts.set_preferences(s, request.state.user.id, {"lang": lang})
            s.commit()
        else:
            sess.lang = lang
    return RedirectResponse(next if next.startswith("/") and not next.startswith("//") else "/",
                            status_code=303)


@router.get("/settings")
def settings_page(request: Request) -> Response:
    return render(request, "settings.html", prefs=user(request).preferences)


@router.post("/settings")
def save_settings(request: Request, blur: int = Form(), tile: int = Form(), break_minutes: int = Form(),
                  greyscale: str | None = Form(None), csrf_token: str = Form(""),
                  s: Session = Depends(db)) -> Response:
    _check_form_csrf(request, csrf_token)
    accounts.set_preferences(s, user(request).id, {"blur": blur, "tile": tile, "greyscale": bool(greyscale),
                                                   "break_minutes": break_minutes})
    s.commit()
    return RedirectResponse("/settings", status_code=303)


@router.get("/")
def cases_page(request: Request, s: Session = Depends(db)) -> Response:
    return render(request, "cases.html", cases=accounts.member_cases(s, user(request)))


@router.get("/cases/{case}")
def overview_page(request: Request, case: Case = Depends(member_case), s: Session = Depends(db)) -> Response:
    return render(request, "overview.html", case=case, ov=overview.overview(s, case.id),
                  chain=audit.verify(s, case.id), qa=learning.qa_figures(state(request).sessions, case.name),
                  qa_open=len(learning.qa_view(s, case.id).tiles))


@router.get("/cases/{case}/qa-figures")
def qa_figures_part(request: Request, case: Case = Depends(member_case),
                    s: Session = Depends(db)) -> Response:
    """The overview's QA figures alone, for htmx's refresh button; anything else gets the page."""
    if not htmx_partial(request):
        return RedirectResponse(f"/cases/{case.name}", status_code=303)
    return render(request, "_qa_figures.html", case=case,
                  qa=learning.qa_figures(state(request).sessions, case.name),
                  qa_open=len(learning.qa_view(s, case.id).tiles))


@router.get("/cases/{case}/qa")
def qa_page(request: Request, case: Case = Depends(member_case), s: Session = Depends(db)) -> Response:
    """The QA sample as its own queue: same tiles and keys, decisions recorded with source qa."""
    view = learning.qa_view(s, case.id)
    return render(request, "grid.html", **_grid_context(request, case), qa=view.sample,
                  page=grid.Page(view.tiles, None), q={}, next_url=None)


class _GridContext(TypedDict):
    case: Case
    cats: tuple[Category, ...]
    scheme_json: str
    prefs: dict[str, Any]


def _grid_context(request: Request, case: Case) -> _GridContext:
    cats = categories(case.scheme)
    lang = request.state.lang
    scheme_js = {c.key: {"code": c.code, "label": c.label_de if lang == "de" else c.label_en} for c in cats}
    return {"case": case, "cats": cats, "scheme_json": json.dumps(scheme_js),
            "prefs": user(request).preferences}


def _filter(request: Request) -> tuple[grid.GridFilter, dict[str, str]]:
    q = {k: v for k, v in request.query_params.items() if k in FILTER_KEYS and v != ""}

    def num(key: str) -> float | None:
        try:
            return float(q[key]) if key in q else None
        except ValueError:
            return None

    reviewed = {"yes": True, "no": False}.get(q.get("reviewed", ""))
    return grid.GridFilter(q.get("status"), q.get("suggested"), q.get("decided"), q.get("band"),
                           num("explicit_min"), num("explicit_max"), q.get("path"), reviewed,
                           q.get("media")), q


@router.get("/cases/{case}/grid")
def grid_page(request: Request, case: Case = Depends(member_case), s: Session = Depends(db),
              cursor: str | None = None) -> Response:
    flt, q = _filter(request)
    try:
        pg = grid.page(s, case.id, flt, cursor, state(request).config.page_size)
    except UsageError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from exc
    next_url = (f"{request.url.path}?{urlencode({**q, 'cursor': pg.next_cursor})}"
                if pg.next_cursor else None)
    partial = htmx_partial(request)
    response = render(request, "_grid_results.html" if partial else "grid.html",
                      **_grid_context(request, case), page=pg, q=q, next_url=next_url, qa=None,
                      partial=partial)
    response.headers["Vary"] = "HX-Request"  # one URL, two bodies: never cache one for the other
    return response


def htmx_partial(request: Request) -> bool:
    """Whether to answer with the page's fragment: an htmx request, except htmx's history
    restore (going back to a page it has no snapshot of), which needs the whole page."""
    return (request.headers.get("hx-request") == "true"
            and request.headers.get("hx-history-restore-request") != "true")


@router.get("/cases/{case}/items/{content_id}")
def item_page(request: Request, content_id: int, case: Case = Depends(member_case),
              s: Session = Depends(db)) -> Response:
    try:
        detail = items.item_detail(s, case, content_id)
    except UsageError as exc:
        raise HTTPException(status_code=404, detail="not found") from exc
    return render(request, "item.html", case=case, item=detail, cats=categories(case.scheme),
                  prefs=user(request).preferences)


@router.get("/cases/{case}/thumbs/{content_id}")
def thumbnail(request: Request, content_id: int, kind: str = "thumbnail",
              case: Case = Depends(member_case), s: Session = Depends(db)) -> Response:
    """A derivative decrypted in memory; videos prefer their contact sheet."""
    row = s.execute(select(Derivative, Content.sha256).join(Content, Content.id == Derivative.content_id)
                    .where(Derivative.case_id == case.id, Derivative.content_id == content_id,
                           Derivative.kind.in_((kind, "contact_sheet", "thumbnail")))).all()
    if not row:
        raise HTTPException(status_code=404, detail="not found")
    order = {kind: 0, "contact_sheet": 1, "thumbnail": 2}
    deriv, sha256 = min(row, key=lambda r: order.get(r[0].kind, 9))
    try:
        data = open_sealed(state(request).case_key(case), deriv.data,
                           derivative_context(case.id, sha256, deriv.kind))
    except CryptoError as exc:
        raise HTTPException(status_code=500, detail="derivative does not authenticate") from exc
    return Response(data, media_type=deriv.mime, headers={"Cache-Control": "private, no-store"})


@router.get("/cases/{case}/full/{content_id}")
def full_view(request: Request, content_id: int, case: Case = Depends(member_case),
              s: Session = Depends(db)) -> Response:
    """The original read from the evidence, streamed from memory, and recorded in the audit chain."""
    content = s.get(Content, content_id)
    if content is None or content.case_id != case.id:
        raise HTTPException(status_code=404, detail="not found")
    try:
        data = read_original(s, content, state(request).settings.limits)
        body, mime = (browser_image(data, content.mime) if content.media_type == "image"
                      else (data, content.mime))
    except EvidenceError as exc:
        raise HTTPException(status_code=410, detail=str(exc)) from exc
    audit.append(s, case.id, user(request).name, "view-full", content_id, None,
                 {"sha256": content.sha256})
    s.commit()
    headers = {"Cache-Control": "private, no-store"}
    if content.media_type not in REVIEWABLE_MEDIA:
        # Anything else (a PDF, an archive, ...) the suspect chose; rendered inline it would run
        # in the workspace's origin. Offered as a download of opaque bytes instead.
        mime, headers["Content-Disposition"] = "application/octet-stream", "attachment"
    return Response(body, media_type=mime, headers=headers)
