"""Figures about a case, computed in the database; shared by the CLI table and the reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from sichter.store.cases import get_case
from sichter.store.models import CaseLog, Content, Occurrence


@dataclass
class CaseSummary:
    name: str
    title: str | None
    scheme: str
    created_at: str
    created_by: str
    occurrences: int
    contents: int
    bytes: int
    by_media_type: dict[str, int]
    by_mime: dict[str, int]
    errors: int
    error_samples: list[tuple[str, str]]
    duplicates: int
    log: list[dict[str, Any]] = field(default_factory=list)


def summarise(sessions: sessionmaker[Session], case_name: str, error_samples: int = 200) -> CaseSummary:
    with sessions() as s:
        case = get_case(s, case_name)
        cid = case.id
        occ_total = s.scalar(select(func.count()).where(Occurrence.case_id == cid)) or 0
        contents = s.scalar(select(func.count()).where(Content.case_id == cid)) or 0
        total_bytes = s.scalar(select(func.coalesce(func.sum(Content.size), 0))
                               .where(Content.case_id == cid)) or 0
        media_type = func.coalesce(Content.media_type, "other")
        by_type = dict(s.execute(
            select(media_type, func.count()).select_from(Occurrence)
            .outerjoin(Content, Content.id == Occurrence.content_id)
            .where(Occurrence.case_id == cid).group_by(media_type)).all())
        by_mime = dict(s.execute(
            select(Content.mime, func.count()).select_from(Occurrence)
            .join(Content, Content.id == Occurrence.content_id)
            .where(Occurrence.case_id == cid).group_by(Content.mime)
            .order_by(func.count().desc())).all())
        error_expr = func.coalesce(Occurrence.error, Content.error, Occurrence.container_error)
        errored = (select(Occurrence.path, error_expr).select_from(Occurrence)
                   .outerjoin(Content, Content.id == Occurrence.content_id)
                   .where(Occurrence.case_id == cid, error_expr.is_not(None)))
        errors = s.scalar(select(func.count()).select_from(errored.subquery())) or 0
        samples = [(p, e) for p, e in s.execute(errored.order_by(Occurrence.id).limit(error_samples))]
        # Videos decoded only in part keep the scores of what was read, and no error: they
        # belong here too (videos are few; their analysis is read in Python, as JSON queries
        # differ between SQLite and PostgreSQL).
        for path, analysis in s.execute(
                select(Occurrence.path, Content.analysis).join(Content, Content.id == Occurrence.content_id)
                .where(Occurrence.case_id == cid, Content.media_type == "video",
                       Content.error.is_(None), Occurrence.error.is_(None))
                .order_by(Occurrence.id)):
            video = (analysis or {}).get("video")
            if isinstance(video, dict) and video.get("complete") is False and not video.get("error"):
                errors += 1
                if len(samples) < error_samples:
                    samples.append((path, "video read only in part: "
                                    + str(video.get("incomplete_reason") or "decoding stopped")))
        with_content = s.scalar(select(func.count()).where(Occurrence.case_id == cid,
                                                           Occurrence.content_id.is_not(None))) or 0
        log = [{"at": e.at.isoformat(), "user": e.user, "host": e.host, "action": e.action,
                "version": e.sichter_version, "details": e.details}
               for e in s.scalars(select(CaseLog).where(CaseLog.case_id == cid).order_by(CaseLog.id))]
        return CaseSummary(case.name, case.title, case.scheme, case.created_at.isoformat(),
                           case.created_by, occ_total, contents, int(total_bytes),
                           {k: int(v) for k, v in by_type.items()},
                           {k: int(v) for k, v in by_mime.items()}, errors, samples,
                           with_content - contents, log)
