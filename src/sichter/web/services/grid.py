"""The review grid: near-duplicate stacks ordered by priority, filtered, keyset-paginated.

One tile per stack: the stack's leader is its lowest content id among the contents of the
case with the same PDQ. Tiles are read from the precomputed ``review_queue`` (see
``sichter.web.services.queue``), whose indexes end in (priority DESC, content_id), so every
filter that is an equality on an indexed column plus the order is one index range scan.
Paging never uses OFFSET: the cursor is the (priority, id) of the last tile, and the next
page is read as "the rest of that priority after id" then "lower priorities", two seeks, so
page 10 000 costs what page 1 costs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, false, func, select, true
from sqlalchemy.orm import Session

from sichter.errors import UsageError
from sichter.store.models import Derivative, Occurrence
from sichter.store.review_models import ReviewQueue
from sichter.web.services.queue import NO_PRIORITY, ensure_queue


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
    order_source: str = "triage"  # what set ``priority``: "triage", "cal round N", "model V"


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
    after = parse_cursor(cursor)
    ensure_queue(session, case_id)
    q = _query(session, case_id, flt)
    Q = ReviewQueue
    if after is None:
        rows = list(session.execute(q.order_by(Q.priority.desc(), Q.content_id).limit(limit + 1)))
    else:
        # Two seeks instead of "priority < p OR (priority = p AND id > i)", which no index
        # can seek on: the rest of the cursor's priority, then everything below it.
        rows = list(session.execute(q.where(Q.priority == after[0], Q.content_id > after[1])
                                    .order_by(Q.content_id).limit(limit + 1)))
        if len(rows) <= limit:
            rows += session.execute(q.where(Q.priority < after[0])
                                    .order_by(Q.priority.desc(), Q.content_id)
                                    .limit(limit + 1 - len(rows)))
    tiles = [Tile(r[0], int(r[1]), None if r[2] == NO_PRIORITY else int(r[2]), r[3], r[4],
                  None if r[5] is None else float(r[5]), r[6], r[7], int(r[8]), r[9], r[10] or "",
                  r[11])
             for r in rows[:limit]]
    nxt = None
    if len(rows) > limit:
        last = rows[limit - 1]
        nxt = f"{int(last[2])}:{last[0]}"
    return Page(tiles, nxt)


def _query(session: Session, case_id: int, flt: GridFilter) -> Select[*tuple[Any, ...]]:
    Q = ReviewQueue
    # Evaluated only for the rows a page returns (at most limit + 1), through the
    # (case_id, content_id) index on occurrence.
    first_path = (select(func.min(Occurrence.path)).where(Occurrence.case_id == Q.case_id,
                                                          Occurrence.content_id == Q.content_id)
                  .correlate(Q).scalar_subquery())
    q = (select(Q.content_id, Q.stack_size, Q.priority, Q.suggested_category, Q.youngest_band,
                Q.explicit, Q.known_status, Q.category, Q.version, Q.media_type, first_path,
                Q.priority_source)
         .where(Q.case_id == case_id, Q.is_leader == true()))
    for cond in _conditions(flt, case_id):
        q = q.where(cond)
    return q


def _conditions(flt: GridFilter, case_id: int) -> list[ColumnElement[bool]]:
    Q = ReviewQueue
    conds: list[ColumnElement[bool]] = []
    if flt.status:
        conds.append(Q.known_status == flt.status)
    if flt.suggested:
        conds.append(Q.suggested_category == flt.suggested)
    if flt.band:
        conds.append(Q.youngest_band == flt.band)
    if flt.explicit_min is not None:
        conds.append(Q.explicit >= flt.explicit_min)
    if flt.explicit_max is not None:
        conds.append(Q.explicit <= flt.explicit_max)
    if flt.decided == "none":
        conds.append(Q.category.is_(None))
    elif flt.decided:
        conds.append(Q.category == flt.decided)
    if flt.reviewed is not None:
        conds.append(Q.reviewed == (true() if flt.reviewed else false()))
    if flt.media:
        conds.append(Q.media_type == flt.media)
    if flt.path:
        pattern = "%" + flt.path.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conds.append(exists().where(Occurrence.case_id == case_id, Occurrence.content_id == Q.content_id,
                                    Occurrence.path.like(pattern, escape="\\")))
    return conds


def thumbnail_kinds(session: Session, content_id: int) -> list[str]:
    return list(session.scalars(select(Derivative.kind).where(Derivative.content_id == content_id)))
