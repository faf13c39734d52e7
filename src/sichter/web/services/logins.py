"""Server-side login sessions: the cookie holds a random token, the store its SHA-256.

A session is valid while its row exists, is not revoked and belongs to the cookie's user;
logging out revokes it, so a copied cookie stops working at once (the signed cookie alone
could not be taken back before its idle timeout).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from sichter.store.review_models import LoginSession


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(session: Session, account_id: int) -> str:
    """A new session for the account; returns the token for the cookie."""
    token = secrets.token_urlsafe(32)
    session.add(LoginSession(token_hash=_hash(token), account_id=account_id,
                             created_at=datetime.now(UTC)))
    session.flush()
    return token


def valid(session: Session, token: str | None, account_id: int) -> bool:
    if not token:
        return False
    row = session.get(LoginSession, _hash(token))
    return row is not None and row.account_id == account_id and row.revoked_at is None


def end(session: Session, token: str | None) -> None:
    """Revoke the session (idempotent; unknown tokens are ignored)."""
    if token:
        session.execute(update(LoginSession).where(LoginSession.token_hash == _hash(token),
                                                   LoginSession.revoked_at.is_(None))
                        .values(revoked_at=datetime.now(UTC)))


def end_all(session: Session, account_id: int) -> int:
    """Revoke every open session of an account (e.g. when it is deactivated)."""
    result = session.execute(update(LoginSession).where(LoginSession.account_id == account_id,
                                                        LoginSession.revoked_at.is_(None))
                             .values(revoked_at=datetime.now(UTC)))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
