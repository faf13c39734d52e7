"""The FastAPI app factory: middleware for sessions and CSRF, templates, and the two routers.

Pages and the JSON API share the same services; every route but the login page needs a
logged-in user, and everything inside a case needs membership of it (else 404).
"""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session, sessionmaker

from sichter.learn.active_learning import Scheduler
from sichter.settings import Settings
from sichter.store.cases import data_key
from sichter.store.crypto import load_master_key
from sichter.store.db import open_store
from sichter.store.models import Case
from sichter.web import i18n
from sichter.web.config import WebConfig, secret_key
from sichter.web.security import SAFE_METHODS, LoginThrottle, SessionCodec, WebSession, csrf_ok
from sichter.web.services import accounts, logins
from sichter.web.services.roles import Forbidden

HERE = Path(__file__).parent
# /lang too: the login page has the language switch, and set_lang keeps an anonymous choice
# in the session (refusing it with 401 left the login page in the default language).
# Exact paths, not prefixes: a later route that merely starts with one of them (/settings/users)
# must not silently skip the login or the CSRF header check. /static/ is the one prefix.
PUBLIC = frozenset({"/login", "/lang", "/favicon.ico"})
PUBLIC_PREFIX = "/static/"
FORM_ROUTES = frozenset({"/login", "/logout", "/settings", "/lang"})  # CSRF token in a form field


@dataclass
class WebState:
    settings: Settings
    config: WebConfig
    sessions: sessionmaker[Session]
    master_key: bytes
    templates: Jinja2Templates
    codec: SessionCodec
    _keys: dict[int, bytes]
    scheduler: Scheduler  # continuous active learning, off the request path
    rounds: dict[int, Future[Any]]  # the latest background round per case (for inspection)
    throttle: LoginThrottle

    def case_key(self, case: Case) -> bytes:
        if case.id not in self._keys:
            self._keys[case.id] = data_key(case, self.master_key)
        return self._keys[case.id]


def state(request: Request) -> WebState:
    return request.app.state.web  # type: ignore[no-any-return]


def create_app(settings: Settings, config: WebConfig) -> FastAPI:
    # No Swagger UI: it loads its scripts from a CDN, i.e. a request to a foreign host (and
    # the CSP blocks it anyway). The description is served as JSON for local tools.
    app = FastAPI(title="Sichter review API", version="1", docs_url=None,
                  redoc_url=None, openapi_url="/api/openapi.json")
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.filters["pct"] = lambda v: f"{100 * v:.0f} %"
    app.state.web = WebState(settings, config, open_store(settings.effective_database_url),
                             load_master_key(settings.home, settings.master_key), templates,
                             SessionCodec(secret_key(settings.home, config), config.idle_minutes * 60,
                                          config.secure_cookie), {},
                                 Scheduler(config.active_learning_every), {},
                                 LoginThrottle(config.login_max_failures,
                                               config.login_pause_minutes * 60))
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    @app.middleware("http")
    async def session_and_csrf(request: Request, call_next: Any) -> Response:
        web = state(request)
        if "\x00" in request.url.path or b"%00" in request.scope["query_string"]:
            # No case, name, path or filter holds a NUL byte, and PostgreSQL refuses one in a
            # query parameter with an error (a 500): answer what it is, a request for nothing.
            return harden(JSONResponse({"detail": "a NUL byte in the address"}, status_code=400))
        sess, _valid = web.codec.load(request)
        request.state.session = sess
        request.state.user = None
        if sess.user_id is not None:
            with web.sessions() as s:
                if logins.valid(s, sess.token, sess.user_id):
                    request.state.user = accounts.get_user(s, sess.user_id)
            if request.state.user is None:  # logged out, revoked, deactivated: start afresh
                sess.user_id, sess.token = None, None
        path = request.url.path
        lang_pref = request.state.user.preferences.get("lang") if request.state.user else None
        # A logged-in user's stored choice wins over the cookie's, which only serves the login page.
        request.state.lang = i18n.pick(lang_pref or sess.lang, web.config.default_lang)
        if request.state.user is None and path not in PUBLIC and not path.startswith(PUBLIC_PREFIX):
            if path.startswith("/api/") or request.method not in SAFE_METHODS or "/thumbs/" in path \
                    or "/full/" in path:
                response: Response = JSONResponse({"detail": "log in first"}, status_code=401)
            elif request.headers.get("hx-request") == "true":
                # An htmx fragment request would follow a redirect and swap the login page
                # into the grid: ask htmx to load the login page as a whole instead.
                response = JSONResponse({"detail": "log in first"}, status_code=401,
                                        headers={"HX-Redirect": "/login"})
            else:
                response = RedirectResponse("/login", status_code=303)
            web.codec.save(response, sess)
            return harden(response)
        if request.method not in SAFE_METHODS and path not in FORM_ROUTES \
                and not csrf_ok(sess, request.headers.get("x-csrf-token")):
            return harden(JSONResponse({"detail": "missing or wrong CSRF token"}, status_code=403))
        response = await call_next(request)
        if not getattr(request.state, "logged_out", False):
            web.codec.save(response, request.state.session)
        return harden(response)

    @app.exception_handler(Forbidden)
    async def forbidden(_request: Request, exc: Forbidden) -> Response:
        return JSONResponse({"detail": str(exc)}, status_code=403)

    from sichter.web.routes_api import router as api_router
    from sichter.web.routes_pages import router as page_router

    app.include_router(api_router)
    app.include_router(page_router)
    return app


def harden(response: Response) -> Response:
    """The headers every answer carries, refusals included: a 401 or 403 is framed, sniffed
    or cached like any other answer unless it says otherwise."""
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; media-src 'self'; style-src 'self' 'unsafe-inline'; "
        "script-src 'self'; frame-ancestors 'none'; form-action 'self'")
    return response


def render(request: Request, template: str, status_code: int = 200, **ctx: Any) -> Response:
    web = state(request)
    lang: str = request.state.lang
    sess: WebSession = request.state.session
    tr = i18n.translations(lang)
    return web.templates.TemplateResponse(request, template, {
        "_": tr.gettext, "lang": lang, "user": request.state.user, "csrf": sess.csrf, **ctx},
        status_code=status_code)


def not_found() -> HTTPException:
    return HTTPException(status_code=404, detail="not found")
