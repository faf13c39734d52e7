"""Accounts, passwords (Argon2id) and case membership."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from sichter.errors import UsageError
from sichter.store.cases import get_case, log
from sichter.store.models import Case
from sichter.store.review_models import ROLES, Account, CaseMember

USER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,199}$")
MIN_PASSWORD = 10
_HASHER = PasswordHasher()

# Wellness defaults (domain.md): blurred, greyscale, reveal on demand, break reminders.
DEFAULT_PREFERENCES: dict[str, Any] = {"blur": 18, "greyscale": True, "tile": 160,
                                       "break_minutes": 50, "lang": None}


@dataclass(frozen=True)
class User:
    id: int
    name: str
    role: str
    preferences: dict[str, Any]


def _user(a: Account) -> User:
    return User(a.id, a.name, a.role, {**DEFAULT_PREFERENCES, **(a.preferences or {})})


def add_user(session: Session, name: str, role: str, password: str) -> User:
    if not USER_NAME.match(name):
        raise UsageError(f"user name {name!r} must be letters, digits, '.', '_', '@' or '-'")
    if role not in ROLES:
        raise UsageError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD:
        raise UsageError(f"the password must have at least {MIN_PASSWORD} characters")
    if session.scalar(select(Account.id).where(Account.name == name)) is not None:
        raise UsageError(f"user {name!r} already exists")
    account = Account(name=name, role=role, password_hash=_HASHER.hash(password), active=True,
                      created_at=datetime.now(UTC), preferences={})
    session.add(account)
    session.flush()
    return _user(account)


def authenticate(session: Session, name: str, password: str) -> User | None:
    """The user if the password is right; None otherwise (same answer for unknown names)."""
    # A name no account can have is not looked up (PostgreSQL would fail on a NUL byte in it).
    account = (session.scalar(select(Account).where(Account.name == name, Account.active.is_(True)))
               if USER_NAME.match(name) else None)
    if account is None:
        _HASHER.hash(password)  # spend the same time as a real check
        return None
    try:
        _HASHER.verify(account.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if _HASHER.check_needs_rehash(account.password_hash):
        account.password_hash = _HASHER.hash(password)
    return _user(account)


def get_user(session: Session, user_id: int) -> User | None:
    account = session.get(Account, user_id)
    return _user(account) if account is not None and account.active else None


def set_preferences(session: Session, user_id: int, prefs: dict[str, Any]) -> User:
    account = session.get(Account, user_id)
    if account is None:
        raise UsageError("no such user")
    clean = {**DEFAULT_PREFERENCES, **(account.preferences or {})}
    clean["blur"] = max(0, min(40, int(prefs.get("blur", clean["blur"]))))
    clean["greyscale"] = bool(prefs.get("greyscale", clean["greyscale"]))
    clean["tile"] = max(80, min(400, int(prefs.get("tile", clean["tile"]))))
    clean["break_minutes"] = max(5, min(240, int(prefs.get("break_minutes", clean["break_minutes"]))))
    if prefs.get("lang") in ("de", "en"):
        clean["lang"] = prefs["lang"]
    account.preferences = clean
    session.flush()
    return _user(account)


def add_member(session: Session, case_name: str, user_name: str, by: str) -> None:
    case = get_case(session, case_name)
    account = session.scalar(select(Account).where(Account.name == user_name))
    if account is None:
        raise UsageError(f"no user named {user_name!r} (see 'sichter user add')")
    if session.get(CaseMember, (case.id, account.id)) is not None:
        return
    session.add(CaseMember(case_id=case.id, account_id=account.id, added_at=datetime.now(UTC),
                           added_by=by))
    log(session, case.id, by, "add-member", {"user": user_name, "role": account.role})


def member_case(session: Session, user: User, case_name: str) -> Case | None:
    """The case if ``user`` is a member of it; None for unknown cases and foreign ones alike."""
    return session.scalar(select(Case).join(CaseMember, CaseMember.case_id == Case.id)
                          .where(Case.name == case_name, CaseMember.account_id == user.id))


def member_cases(session: Session, user: User) -> list[Case]:
    return list(session.scalars(select(Case).join(CaseMember, CaseMember.case_id == Case.id)
                                .where(CaseMember.account_id == user.id).order_by(Case.name)))
