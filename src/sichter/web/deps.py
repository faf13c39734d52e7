"""What every case route needs: the logged-in user, a store session, the case if a member."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import Depends, HTTPException, Request
from sqlalchemy.orm import Session

from sichter.store.models import Case
from sichter.web.app import state
from sichter.web.services import accounts
from sichter.web.services.accounts import User


def db(request: Request) -> Iterator[Session]:
    with state(request).sessions() as s:
        yield s


def user(request: Request) -> User:
    u: User | None = request.state.user
    if u is None:  # the middleware already refused; this keeps the type honest
        raise HTTPException(status_code=401, detail="log in first")
    return u


def member_case(case: str, request: Request, s: Session = Depends(db)) -> Case:
    """The case named in the path if the user is a member; 404 alike for foreign and unknown."""
    found = accounts.member_case(s, user(request), case)
    if found is None:
        raise HTTPException(status_code=404, detail="not found")
    return found
