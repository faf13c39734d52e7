"""Helpers shared by the review workspace tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

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
