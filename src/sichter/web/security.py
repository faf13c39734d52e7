"""Session cookie, idle timeout and CSRF.

The session is a signed cookie (HttpOnly, SameSite=Strict, Secure) holding the user id, a
CSRF token, the language (before logging in; afterwards the user's stored preference decides)
and the token of a server-side login (``services.logins``: logging out revokes it, so a copied
cookie stops working). Its signature carries the time it was issued, so it expires after
``idle_minutes`` without a request. It is re-issued when its content changed or when it is a
minute old (a quarter of the idle time if that is shorter) — not on every request: a grid
page fetches dozens of thumbnails at once, and each answer re-issuing the cookie it was sent
with could land after a language switch or a login and silently undo it. Every state change
must present the CSRF token: the API in the ``X-CSRF-Token`` header, forms in a field.
"""

from __future__ import annotations

import hmac
import math
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

COOKIE = "sichter_session"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


@dataclass
class WebSession:
    csrf: str
    user_id: int | None = None
    lang: str | None = None
    token: str | None = None  # the server-side login (``services.logins``)
    data: dict[str, Any] = field(default_factory=dict)
    issued: float | None = None  # when the cookie it came from was signed; None: a new session
    loaded: dict[str, Any] | None = None  # its content then, to tell whether it changed

    def dump(self) -> dict[str, Any]:
        return {"u": self.user_id, "c": self.csrf, "l": self.lang, "t": self.token}


class _ClockSigner(TimestampSigner):
    """Signs and checks ages with the codec's clock, so an idle timeout can be tested by
    moving a clock rather than by sleeping (a sleep races a loaded machine)."""

    def __init__(self, *args: Any, clock: Callable[[], float], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clock = clock

    def get_timestamp(self) -> int:
        return int(self._clock())


class SessionCodec:
    def __init__(self, key: bytes, idle_seconds: float, secure: bool,
                 clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._signer = URLSafeTimedSerializer(key, salt="sichter-session", signer=_ClockSigner,
                                              signer_kwargs={"clock": lambda: self.clock()})
        self._idle = idle_seconds
        self._secure = secure

    def load(self, request: Request) -> tuple[WebSession, bool]:
        """The request's session, and whether it had one that was still valid."""
        raw = request.cookies.get(COOKIE)
        if raw:
            try:
                # itsdangerous takes whole seconds; its ages are whole seconds too, so
                # ``age > floor(idle)`` expires exactly when ``age > idle`` would.
                data, signed = self._signer.loads(raw, max_age=math.floor(self._idle),
                                                  return_timestamp=True)
                sess = WebSession(csrf=data["c"], user_id=data.get("u"), lang=data.get("l"),
                                  token=data.get("t"), issued=signed.timestamp())
                sess.loaded = sess.dump()
                return sess, True
            except (BadSignature, KeyError, TypeError):
                pass
        return WebSession(csrf=secrets.token_urlsafe(32)), False

    def save(self, response: Response, session: WebSession) -> None:
        fresh = session.issued is not None and self.clock() - session.issued < min(60.0, self._idle / 4)
        if fresh and session.loaded == session.dump():
            return
        response.set_cookie(COOKIE, self._signer.dumps(session.dump()), max_age=int(self._idle),
                            httponly=True, samesite="strict", secure=self._secure, path="/")


def csrf_ok(session: WebSession, presented: str | None) -> bool:
    return bool(presented) and hmac.compare_digest(session.csrf, presented or "")


class LoginThrottle:
    """Refuses further password checks for an account name after ``max_failures`` wrong
    passwords within ``window`` seconds, until the oldest of them is ``window`` old.

    Argon2's cost alone slows guessing but does not bound it. Kept per name (not per address:
    guessing from many addresses is the attack) and in memory (one review server process);
    a right password during the pause is refused too, or the pause would tell it apart.
    """

    def __init__(self, max_failures: int, window: float) -> None:
        self._max = max_failures
        self._window = window
        self._failures: dict[str, list[float]] = {}

    def wait(self, name: str, now: float | None = None) -> float:
        """Seconds until ``name`` may try again; 0 when it may now."""
        now = time.monotonic() if now is None else now
        key = name.casefold()
        # Failures older than the window are forgotten; a name without recent ones is no entry
        # at all (every login asks, and most names never failed).
        recent = [t for t in self._failures.pop(key, []) if now - t < self._window]
        if recent:
            self._failures[key] = recent
        if self._max <= 0 or len(recent) < self._max:
            return 0.0
        return self._window - (now - recent[-self._max])

    def failed(self, name: str, now: float | None = None) -> None:
        self._failures.setdefault(name.casefold(), []).append(
            time.monotonic() if now is None else now)
        if len(self._failures) > 10_000:  # names tried once by a scanner: keep memory bounded
            self._failures = {k: v for k, v in self._failures.items() if len(v) > 1}

    def succeeded(self, name: str) -> None:
        self._failures.pop(name.casefold(), None)
