"""The review grid: near-duplicate stacks ordered by priority, filtered, keyset-paginated.

One tile per stack: the stack's leader is its lowest content id among the contents of the
case with the same PDQ. Paging never uses OFFSET: the cursor is the (priority, id) of the
last tile, so page 10 000 costs what page 1 costs (given the indexes).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, func, literal, null, or_, select
from sqlalchemy.orm import Session, aliased

from sichter.errors import UsageError
from sichter.store.models import Content, Derivative, Occurrence
from sichter.store.review_models import ReviewState
from sichter.web.services.triage_view import triage_table

NO_PRIORITY = -1


@dataclass(frozen=True)
class GridFilter:
    status: str | None = None  # known, known_good, unknown (hash-set status from triage)
    suggested: str | None = None
    decided: str | None = None  # a category code, or "none"
    band: str | None = None  # under14, 14to17, adult, uncertain
    explicit_min: float | None = None
    explicit_max: float | None = None
    path: str | None = None  # substring of any occurrence path
    reviewed: bool | None = None
    media: str | None = None  # image, video


@dataclass(frozen=True)
class Tile:
    content_id: int
    stack_size: int
    priority: int | None
    suggested: str | None
    band: str | None
    explicit: float | None
    known: str | None
    category: str | None
    version: int
    media_type: str
    path: str


@dataclass
class Page:
    tiles: list[Tile]
    next_cursor: str | None
    filters: dict[str, Any] = field(default_factory=dict)


def parse_cursor(cursor: str | None) -> tuple[int, int] | None:
    if not cursor:
        return None
    try:
        p, i = cursor.split(":", 1)
        return int(p), int(i)
    except ValueError as exc:
        raise UsageError(f"bad page cursor {cursor!r}") from exc


def page(session: Session, case_id: int, flt: GridFilter, cursor: str | None = None,
         limit: int = 60) -> Page:
    """One page of tiles, best priority first, then by content id."""
    limit = max(1, min(limit, 500))
    t = triage_table(session)
    col = (lambda name: t.c[name] if t is not None and name in t.c else null())  # noqa: E731
    sort_key = func.coalesce(col("priority"), NO_PRIORITY) if t is not None else literal(NO_PRIORITY)
    same = aliased(Content)
    stack_size = (select(func.count()).where(same.case_id == Content.case_id, same.pdq == Content.pdq)
                  .correlate(Content).scalar_subquery())
    first_path = (select(func.min(Occurrence.path)).where(Occurrence.case_id == Content.case_id,
                                                          Occurrence.content_id == Content.id)
                  .correlate(Content).scalar_subquery())
    size = case((Content.pdq.is_(None), 1), else_=stack_size)
    q = (select(Content.id, size, sort_key, col("suggested_category"), col("youngest_band"),
                col("explicit"), col("known_status"), ReviewState.category,
                func.coalesce(ReviewState.version, 0), Content.media_type, first_path)
         .outerjoin(ReviewState, ReviewState.content_id == Content.id)
         .where(Content.case_id == case_id, Content.media_type.in_(("image", "video")))
         .where(or_(Content.pdq.is_(None), ~exists().where(
             same.case_id == Content.case_id, same.pdq == Content.pdq, same.id < Content.id))))
    if t is not None:
        q = q.outerjoin(t, t.c.content_id == Content.id)
    for cond in _conditions(flt, col, session, case_id):
        q = q.where(cond)
    after = parse_cursor(cursor)
    if after is not None:
        q = q.where(or_(sort_key < after[0], and_(sort_key == after[0], Content.id > after[1])))
    rows = session.execute(q.order_by(sort_key.desc(), Content.id).limit(limit + 1)).all()
    tiles = [Tile(r[0], int(r[1]), None if r[2] == NO_PRIORITY else int(r[2]), r[3], r[4],
                  None if r[5] is None else float(r[5]), r[6], r[7], int(r[8]), r[9], r[10] or "")
             for r in rows[:limit]]
    nxt = None
    if len(rows) > limit:
        last = rows[limit - 1]
        nxt = f"{int(last[2])}:{last[0]}"
    return Page(tiles, nxt)


def _conditions(flt: GridFilter, col: Any, session: Session, case_id: int) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    if flt.status:
        conds.append(func.coalesce(col("known_status"), "unknown") == flt.status)
    if flt.suggested:
        conds.append(col("suggested_category") == flt.suggested)
    if flt.band:
        conds.append(col("youngest_band") == flt.band)
    if flt.explicit_min is not None:
        conds.append(col("explicit") >= flt.explicit_min)
    if flt.explicit_max is not None:
        conds.append(col("explicit") <= flt.explicit_max)
    if flt.decided == "none":
        conds.append(ReviewState.category.is_(None))
    elif flt.decided:
        conds.append(ReviewState.category == flt.decided)
    if flt.reviewed is True:
        conds.append(ReviewState.category.is_not(None))
    elif flt.reviewed is False:
        conds.append(ReviewState.category.is_(None))
    if flt.media:
        conds.append(Content.media_type == flt.media)
    if flt.path:
        pattern = "%" + flt.path.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conds.append(exists().where(Occurrence.case_id == case_id, Occurrence.content_id == Content.id,
                                    Occurrence.path.like(pattern, escape="\\")))
    return conds


def thumbnail_kinds(session: Session, content_id: int) -> list[str]:
    return list(session.scalars(select(Derivative.kind).where(Derivative.content_id == content_id)))
