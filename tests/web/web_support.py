"""Helpers shared by the review workspace tests."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from sichter.settings import Settings
from sichter.store.models import Content

PASSWORD = "correct horse battery"


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
