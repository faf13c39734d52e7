"""Helpers shared by the review workspace tests."""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Executable, text
from sqlalchemy.orm import Session, sessionmaker

from sichter.settings import Settings
from sichter.store.cases import create_case
from sichter.store.crypto import load_master_key
from sichter.store.models import Content
from sichter.web.services import accounts

PASSWORD = "correct horse battery"


def tamper_with_audit(s: Session, statement: Executable) -> None:
    """Edit the audit trail as someone with the rights to alter the schema could: switch its
    append-only triggers off first (SQLite: drop them for the rest of the test)."""
    if s.get_bind().dialect.name == "postgresql":
        s.execute(text("ALTER TABLE audit_event DISABLE TRIGGER USER"))
        s.execute(statement)
        s.execute(text("ALTER TABLE audit_event ENABLE TRIGGER USER"))
    else:
        s.execute(text("DROP TRIGGER IF EXISTS audit_event_no_update"))
        s.execute(text("DROP TRIGGER IF EXISTS audit_event_no_delete"))
        s.execute(statement)


@dataclass
class Store:
    settings: Settings
    sessions: sessionmaker[Session]
    content_ids: list[int]


def add_contents(sessions: sessionmaker[Session], case_id: int, pdqs: list[str | None]) -> list[int]:
    """Content rows with the given PDQ hashes (same PDQ = same near-duplicate stack)."""
    with sessions.begin() as s:
        rows = [Content(case_id=case_id, sha256=f"{case_id:04d}{i:060d}", sha1=f"{i:040d}",
                        md5=f"{i:032d}", size=100 + i, media_type="image", mime="image/jpeg",
                        width=64, height=48, pdq=pdq, pdq_quality=100 if pdq else None,
                        analysed_at=datetime.now(UTC), analysis={})
                for i, pdq in enumerate(pdqs)]
        s.add_all(rows)
        s.flush()
        return [r.id for r in rows]


def login(client: Any, name: str, password: str = PASSWORD) -> str:
    """Log in through the form like a browser; returns the CSRF token for API calls."""
    page = client.get("/login")
    token = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    r = client.post("/login", data={"name": name, "password": password, "csrf_token": token},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    home = client.get("/")
    return re.search(r'name="csrf-token" content="([^"]+)"', home.text).group(1)  # type: ignore[union-attr]


@dataclass
class Web:
    store: Store
    other_ids: list[int]

    def client(self, **config: object) -> TestClient:
        from sichter.web.app import create_app
        from sichter.web.config import WebConfig

        app = create_app(self.store.settings, WebConfig(**{"secret_key": "test-secret", **config}))
        return TestClient(app, base_url="https://testserver")


def add_scored_contents(sessions: sessionmaker[Session], case_id: int,
                        rows: list[tuple[int, float]]) -> list[int]:
    """Image contents with recorded detector outputs: one (triage priority, explicit score)
    per row, as AI triage would have stored them (no images are needed to rank)."""
    from sichter.store.ai_models import Triage

    ids: list[int] = []
    with sessions.begin() as s:
        for i, (priority, explicit) in enumerate(rows):
            tag = uuid.uuid4().bytes
            c = Content(case_id=case_id, sha256=hashlib.sha256(tag).hexdigest(),
                        sha1=hashlib.sha1(tag).hexdigest(), md5=hashlib.md5(tag).hexdigest(),
                        size=1000 + i, media_type="image", mime="image/jpeg",
                        width=640, height=480, analysed_at=datetime.now(UTC),
                        analysis={"ai": {"explicit": explicit, "classes": {}, "faces": [],
                                         "face_count": 0}})
            s.add(c)
            s.flush()
            s.add(Triage(content_id=c.id, case_id=case_id, priority=priority,
                         suggested_category="0", youngest_band="none", explicit=explicit,
                         known_status="unknown", reasons=[], models={"nudenet": "3.4.2"},
                         thresholds={"explicit": 0.5}, computed_at=datetime.now(UTC),
                         computed_by="tester"))
            ids.append(c.id)
    return ids


def cal_case(web: Web) -> tuple[list[int], list[int]]:
    """Case "cal": the explicit items are the relevant ones, but triage ranked them last."""
    st = web.store
    case = create_case(st.sessions, load_master_key(st.settings.home, st.settings.master_key),
                       "cal", None, "tester")
    rel = add_scored_contents(st.sessions, case.id, [(40, 0.7 + i / 100) for i in range(10)])
    irr = add_scored_contents(st.sessions, case.id, [(45 + i % 10, 0.1 + i / 1000) for i in range(30)])
    with st.sessions.begin() as s:
        accounts.add_member(s, "cal", "rev1", "admin")
    return rel, irr
