"""The precomputed review queue behind the grid (``review_queue``): build, refresh, decide.

The queue is derived data. ``refresh_queue`` rebuilds a case's rows (or those of some
contents and their near-duplicate stacks) from ``content``, ``triage`` and ``review_state``
in one INSERT … SELECT with window functions, so a million contents cost one statement
rather than a million ORM objects. Who keeps it current:

- the post-ingest stage ``review_queue`` (``sichter.web.queue_stage``, listed last in
  ``STAGE_MODULES`` so it sees the hash-match and triage results of that ingest);
- ``sichter rescore`` after recomputing triage;
- every decision and undo (``record_decision``, in the decision's own transaction);
- the grid itself, once, for a case that has media but no queue rows yet (a store
  upgraded from before the queue existed);
- a finished continuous-active-learning round and ``sichter rescore`` with a promoted model
  (``refresh_priorities``), since they rewrite ``learned_priority``.

Order: a content's learned score (``learned_priority.score`` x 100) where there is one, else
its triage priority; ``priority_source`` says which ("cal round 3", "model <version>",
"triage", "none"). ``triage.priority`` itself is never changed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    String,
    case,
    cast,
    delete,
    exists,
    func,
    insert,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session

from sichter.store.ai_models import Triage
from sichter.store.learning_models import ActiveLearningState, LearnedPriority
from sichter.store.models import Content
from sichter.store.review_models import ReviewQueue, ReviewState

NO_PRIORITY = -1
MEDIA = ("image", "video")
_CHUNK = 2000  # content ids per partial refresh statement (well under SQLite's variable limit)

_COLUMNS = ("case_id", "content_id", "priority", "is_leader", "stack_key", "stack_size",
            "media_type", "suggested_category", "youngest_band", "explicit", "known_status",
            "category", "reviewed", "version", "priority_source")


def learned_source(session: Session, case_id: int) -> str:
    """What wrote the case's learned scores, as recorded in ``active_learning_state``."""
    state = session.scalar(select(ActiveLearningState).where(ActiveLearningState.case_id == case_id))
    if state is None:
        return "learned"
    version = (state.details or {}).get("model_version")
    return f"model {version}"[:100] if version else f"cal round {state.round}"


def _source(case_id: int, learned_label: str = "learned"
            ) -> tuple[Select[*tuple[Any, ...]], ColumnElement[str]]:
    """The SELECT producing queue rows for the case's media (before any restriction), and the
    stack-key expression it partitions by."""
    stack_key = func.coalesce(Content.pdq, cast(Content.id, String(64)))
    leader = func.min(Content.id).over(partition_by=stack_key)
    size = func.count(Content.id).over(partition_by=stack_key)
    learned = cast(func.round(LearnedPriority.score * 100), Integer)
    origin = case((LearnedPriority.score.is_not(None), literal(learned_label)),
                  (Triage.priority.is_not(None), literal("triage")), else_=literal("none"))
    q = (select(Content.case_id, Content.id, func.coalesce(learned, Triage.priority, NO_PRIORITY),
                Content.id == leader, stack_key, size, Content.media_type,
                Triage.suggested_category, Triage.youngest_band, Triage.explicit,
                func.coalesce(Triage.known_status, "unknown"), ReviewState.category,
                ReviewState.category.is_not(None),
                func.coalesce(ReviewState.version, 0), origin)
         .outerjoin(Triage, Triage.content_id == Content.id)
         .outerjoin(LearnedPriority, LearnedPriority.content_id == Content.id)
         .outerjoin(ReviewState, ReviewState.content_id == Content.id)
         .where(Content.case_id == case_id, Content.media_type.in_(MEDIA)))
    return q, stack_key


def refresh_queue(session: Session, case_id: int, content_ids: Iterable[int] | None = None) -> int:
    """Bring the queue rows of a case up to date, in the caller's transaction.

    Without ``content_ids`` every row of the case is rebuilt. With them, the rows of those
    contents and of every member of their near-duplicate stacks (leader and size may change
    when a member arrives). Returns the number of rows written.
    """
    label = learned_source(session, case_id)
    if content_ids is None:
        session.execute(delete(ReviewQueue).where(ReviewQueue.case_id == case_id))
        q, _ = _source(case_id, label)
        written = _insert(session, q)
        if session.get_bind().dialect.name == "postgresql":
            # Fresh statistics, so the planner keeps choosing the ordered index scans after a
            # rebuild changed the table wholesale (autovacuum would get there, but later).
            session.execute(text("ANALYZE review_queue"))
        return written
    ids = sorted(set(content_ids))
    written = 0
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start:start + _CHUNK]
        found = session.scalars(select(Content.pdq).where(
            Content.case_id == case_id, Content.id.in_(chunk), Content.pdq.is_not(None)))
        # The query already leaves out NULL; the test only tells the type checker.
        pdqs = sorted({p for p in found if p is not None})
        # Whole stacks, found through ``content`` by PDQ, so the window sees every member.
        # (Separate IN lists, not one OR: each is an index seek, the OR was a case scan.)
        affected = set(chunk)
        for part in range(0, len(pdqs), _CHUNK):
            affected.update(session.scalars(select(Content.id).where(
                Content.case_id == case_id, Content.pdq.in_(pdqs[part:part + _CHUNK]))))
        members = sorted(affected)
        for part in range(0, len(members), _CHUNK):
            session.execute(delete(ReviewQueue).where(
                ReviewQueue.case_id == case_id,
                ReviewQueue.content_id.in_(members[part:part + _CHUNK])))
        # One INSERT per slice of whole stacks: a stack never straddles two slices.
        for stack_ids in _stack_slices(session, case_id, members):
            q, _ = _source(case_id, label)
            written += _insert(session, q.where(Content.id.in_(stack_ids)))
    return written


def _stack_slices(session: Session, case_id: int, members: list[int]) -> list[list[int]]:
    """``members`` cut into lists of about ``_CHUNK`` ids, keeping each PDQ stack together."""
    by_key: dict[str, list[int]] = {}
    for part in range(0, len(members), _CHUNK):
        for cid, pdq in session.execute(select(Content.id, Content.pdq).where(
                Content.case_id == case_id, Content.id.in_(members[part:part + _CHUNK]))):
            by_key.setdefault(pdq or f"#{cid}", []).append(cid)
    slices: list[list[int]] = [[]]
    for group in by_key.values():
        if slices[-1] and len(slices[-1]) + len(group) > _CHUNK:
            slices.append([])
        slices[-1].extend(group)
    return [sl for sl in slices if sl]


def _insert(session: Session, q: Select[*tuple[Any, ...]]) -> int:
    stmt = insert(ReviewQueue).from_select(list(_COLUMNS), q)
    result = session.execute(stmt.execution_options(preserve_rowcount=True))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def refresh_priorities(session: Session, case_id: int) -> int:
    """Re-read every row's order (learned score, else triage) after a learned ranking changed,
    in the caller's transaction; the rest of each row is unchanged. Returns rows changed."""
    label = learned_source(session, case_id)
    Q = ReviewQueue
    learned = (select(LearnedPriority.score).where(LearnedPriority.content_id == Q.content_id)
               .correlate(Q).scalar_subquery())
    triage = (select(Triage.priority).where(Triage.content_id == Q.content_id)
              .correlate(Q).scalar_subquery())
    has_triage = exists().where(Triage.content_id == Q.content_id)
    result = session.execute(
        update(Q).where(Q.case_id == case_id)
        .values(priority=func.coalesce(cast(func.round(learned * 100), Integer), triage, NO_PRIORITY),
                priority_source=case((learned.is_not(None), literal(label)),
                                     (has_triage, literal("triage")), else_=literal("none")))
        .execution_options(preserve_rowcount=True))
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ANALYZE review_queue"))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def record_decision(session: Session, case_id: int, content_id: int, category: str | None,
                    version: int) -> None:
    """Mirror a decision (or undo) onto the content's queue row, in the decision's transaction.

    A content without a queue row (queue not built yet) is left alone: building the queue
    later reads ``review_state`` anyway.
    """
    session.execute(update(ReviewQueue).where(ReviewQueue.case_id == case_id,
                                              ReviewQueue.content_id == content_id)
                    .values(category=category, reviewed=category is not None, version=version))


def ensure_queue(session: Session, case_id: int) -> bool:
    """Build the case's queue in its own committed transaction if the case has media but no
    queue rows (a store from before the queue, or contents written without an ingest).
    Returns True when it built one. Cheap when the queue exists: two index probes."""
    has_rows = session.scalar(select(exists().where(ReviewQueue.case_id == case_id)))
    if has_rows:
        return False
    has_media = session.scalar(select(exists().where(Content.case_id == case_id,
                                                     Content.media_type.in_(MEDIA))))
    if not has_media:
        return False
    with Session(session.get_bind()) as w, w.begin():
        refresh_queue(w, case_id)
    return True

