"""Cases and their log: creating, finding, unlocking the data key, and recording actions."""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from sichter import __version__
from sichter.errors import UsageError
from sichter.store.crypto import new_data_key, unwrap_key, wrap_key
from sichter.store.models import Case, CaseLog, Content, Occurrence

CASE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")
SCHEMES = ("vics-us", "dhs", "caid-uk", "de")


@dataclass(frozen=True)
class CaseInfo:
    id: int
    name: str
    title: str | None
    scheme: str
    created_at: datetime
    created_by: str
    occurrences: int
    contents: int


def now() -> datetime:
    return datetime.now(UTC)


def create_case(sessions: sessionmaker[Session], master_key: bytes, name: str, title: str | None,
                user: str, scheme: str = "vics-us") -> CaseInfo:
    if not CASE_NAME.match(name):
        raise UsageError(f"case name {name!r} must be letters, digits, '.', '_' or '-' "
                         "(up to 200, starting with a letter or digit)")
    if scheme not in SCHEMES:
        raise UsageError(f"unknown category scheme {scheme!r}; choose one of {', '.join(SCHEMES)}")
    with sessions.begin() as s:
        if s.scalar(select(Case.id).where(Case.name == name)) is not None:
            raise UsageError(f"case {name!r} already exists")
        case = Case(name=name, title=title, scheme=scheme, created_at=now(), created_by=user,
                    wrapped_key=wrap_key(master_key, new_data_key(), name))
        s.add(case)
        s.flush()
        log(s, case.id, user, "case-create", {"title": title, "scheme": scheme})
        return CaseInfo(case.id, name, title, scheme, case.created_at, user, 0, 0)


def list_cases(sessions: sessionmaker[Session]) -> list[CaseInfo]:
    with sessions() as s:
        occ = (select(Occurrence.case_id, func.count().label("n")).group_by(Occurrence.case_id)
               .subquery())
        con = select(Content.case_id, func.count().label("n")).group_by(Content.case_id).subquery()
        rows = s.execute(
            select(Case, func.coalesce(occ.c.n, 0), func.coalesce(con.c.n, 0))
            .outerjoin(occ, occ.c.case_id == Case.id)
            .outerjoin(con, con.c.case_id == Case.id)
            .order_by(Case.name)
        ).all()
        return [CaseInfo(c.id, c.name, c.title, c.scheme, c.created_at, c.created_by, o, n)
                for c, o, n in rows]


def get_case(session: Session, name: str) -> Case:
    case = session.scalar(select(Case).where(Case.name == name))
    if case is None:
        raise UsageError(f"no case named {name!r} (see 'sichter case list')")
    return case


def data_key(case: Case, master_key: bytes) -> bytes:
    return unwrap_key(master_key, case.wrapped_key, case.name)


def log(session: Session, case_id: int, user: str, action: str, details: dict[str, Any]) -> CaseLog:
    entry = CaseLog(case_id=case_id, at=now(), user=user, host=socket.gethostname(), action=action,
                    sichter_version=__version__, details=details)
    session.add(entry)
    session.flush()
    return entry
