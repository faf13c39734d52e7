"""Helpers for the learning tests: cases with synthetic content rows, triage scores and
reviewer decisions written directly (no images are needed to test learning)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from sichter.learn.decisions import ReviewedItem
from sichter.store.ai_models import Triage
from sichter.store.models import Content

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


@dataclass
class Decisions:
    """An in-memory decision source: content_id -> current decision."""

    items: dict[int, ReviewedItem] = field(default_factory=dict)

    def decide(self, content_id: int, category: str | None, user: str = "anna") -> None:
        self.items[content_id] = ReviewedItem(content_id, category, user, NOW)

    def __call__(self, _session: Session, _case_id: int) -> Mapping[int, ReviewedItem]:
        return self.items


def add_contents(sessions: sessionmaker[Session], case_id: int, rows: list[dict[str, Any]]) -> list[int]:
    """Insert one content per row (keys: priority, analysis, width, height, media_type, ...)."""
    ids: list[int] = []
    with sessions.begin() as s:
        for row in rows:
            tag = f"{case_id}-{row.get('tag', len(ids))}-{id(row)}".encode()
            c = Content(case_id=case_id, sha256=hashlib.sha256(tag).hexdigest(),
                        sha1=hashlib.sha1(tag).hexdigest(), md5=hashlib.md5(tag).hexdigest(),
                        size=row.get("size", 100_000), media_type=row.get("media_type", "image"),
                        mime="image/jpeg", width=row.get("width", 640), height=row.get("height", 480),
                        exif=row.get("exif"), analysed_at=NOW, analysis=row.get("analysis", {}))
            s.add(c)
            s.flush()
            if row.get("priority") is not None:
                s.add(Triage(content_id=c.id, case_id=case_id, priority=row["priority"],
                             suggested_category="0", youngest_band="none", explicit=0.0,
                             known_status=row.get("known_status", "unknown"), reasons=[],
                             models={"nudenet": "3.4.2"}, thresholds={"explicit": 0.5},
                             computed_at=NOW, computed_by="tester"))
            ids.append(c.id)
    return ids




def review(sessions: sessionmaker[Session], case_name: str, decisions: dict[int, str], user: str) -> None:
    """Record decisions through the review workspace's own service (as the web UI does)."""
    from sichter.store.cases import get_case
    from sichter.web.services.decisions import decide

    with sessions.begin() as s:
        case = get_case(s, case_name)
        for cid, category in decisions.items():
            decide(s, case, user, {cid: 0}, category, source="qa", expand_stacks=False)
