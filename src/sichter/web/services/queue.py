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

import os
from collections.abc import Iterable
from typing import Any

import numpy as np
from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    Select,
    String,
    Table,
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

from sichter.evidence.sniff import REVIEWABLE_MEDIA
from sichter.matching.pdq_index import PdqIndex, hex_to_bytes
from sichter.store.ai_models import Triage
from sichter.store.learning_models import ActiveLearningState, LearnedPriority
from sichter.store.models import Content
from sichter.store.review_models import ReviewQueue, ReviewState

NO_PRIORITY = -1
_CHUNK = 2000  # content ids per partial refresh statement (well under SQLite's variable limit)
STACK_DISTANCE = 10  # PDQ bits within which two contents are near-duplicates (domain.md)
MIN_QUALITY = 50  # PDQ quality below which a hash stacks only with identical hashes

_COLUMNS = ("case_id", "content_id", "priority", "is_leader", "stack_key", "stack_size",
            "media_type", "suggested_category", "youngest_band", "explicit", "known_status",
            "category", "reviewed", "version", "priority_source")


def stack_distance() -> int:
    """The near-duplicate radius in bits: ``SICHTER_WEB_STACK_DISTANCE``, default 10."""
    return int(os.environ.get("SICHTER_WEB_STACK_DISTANCE", STACK_DISTANCE))


def _components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Union-find over ``n`` nodes and edges (a, b), vectorised: each node's smallest member.

    Roots hook onto the smaller root of every edge, then pointers jump to their root; repeated
    until both ends of every edge share a root (a few rounds: labels only ever decrease)."""
    parent = np.arange(n)
    while len(a):
        ra, rb = parent[a], parent[b]
        if (ra == rb).all():
            break
        low = np.minimum(ra, rb)
        np.minimum.at(parent, ra, low)
        np.minimum.at(parent, rb, low)
        while True:
            jumped = parent[parent]
            if (jumped == parent).all():
                break
            parent = jumped
    return parent


def stack_groups(rows: Iterable[tuple[int, str | None, int | None]], distance: int | None = None
                 ) -> dict[int, str]:
    """Near-duplicate stacks of (content id, PDQ, PDQ quality) rows: {content id: stack key}.

    A stack is a connected component of "same PDQ, or PDQs within ``distance`` bits where both
    have quality >= ``MIN_QUALITY``" (low-quality hashes of flat images are alike by accident, so
    they only stack when identical). The key is the smallest content id of the stack, as text;
    a content without a PDQ is a stack of its own.
    """
    distance = stack_distance() if distance is None else distance
    ids_l: list[int] = []
    hexes: list[str] = []
    quals: list[int] = []
    out: dict[int, str] = {}
    for cid, pdq, quality in rows:
        if pdq and len(pdq) == 64:
            ids_l.append(cid)
            hexes.append(pdq)
            quals.append(quality if quality is not None else -1)
        else:
            out[cid] = str(cid)
    if not ids_l:
        return out
    ids = np.array(ids_l, dtype=np.int64)
    uniq, inverse = np.unique(np.array(hexes), return_inverse=True)  # identical PDQs: one node
    best_quality = np.full(len(uniq), -1, dtype=np.int64)
    np.maximum.at(best_quality, inverse, np.array(quals, dtype=np.int64))
    good = np.flatnonzero(best_quality >= MIN_QUALITY)
    a = b = np.zeros(0, dtype=np.int64)
    if distance > 0 and len(good) > 1:
        index = PdqIndex(hex_to_bytes(uniq[good].tolist()), threshold=distance, exact=True)
        found = index.range_search(index.hashes)
        keep = found.query < found.item  # each pair once, no self matches
        a, b = good[found.query[keep]], good[found.item[keep]]
    root = _components(len(uniq), a, b)
    # Smallest content id per component: ids reach their node, nodes their root.
    smallest = np.full(len(uniq), np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(smallest, root[inverse], ids)
    keys = smallest[root[inverse]]
    out.update(zip(ids.tolist(), map(str, keys.tolist()), strict=True))
    return out


def learned_source(session: Session, case_id: int) -> str:
    """What wrote the case's learned scores, as recorded in ``active_learning_state``."""
    state = session.scalar(select(ActiveLearningState).where(ActiveLearningState.case_id == case_id))
    if state is None:
        return "learned"
    version = (state.details or {}).get("model_version")
    return f"model {version}"[:100] if version else f"cal round {state.round}"


_KEYS = Table("tmp_stack_keys", MetaData(), Column("content_id", Integer, primary_key=True),
              Column("stack_key", String(64)), prefixes=["TEMPORARY"])


def _source(case_id: int, learned_label: str = "learned") -> Select[*tuple[Any, ...]]:
    """The SELECT producing queue rows for the case's media (before any restriction). Stack keys
    come from the temporary ``tmp_stack_keys`` (only contents whose key is not their own id)."""
    stack_key = func.coalesce(_KEYS.c.stack_key, cast(Content.id, String(64)))
    leader = func.min(Content.id).over(partition_by=stack_key)
    size = func.count(Content.id).over(partition_by=stack_key)
    learned = cast(func.round(LearnedPriority.score * 100), Integer)
    origin = case((LearnedPriority.score.is_not(None), literal(learned_label)),
                  (Triage.priority.is_not(None), literal("triage")), else_=literal("none"))
    return (select(Content.case_id, Content.id, func.coalesce(learned, Triage.priority, NO_PRIORITY),
                   Content.id == leader, stack_key, size, Content.media_type,
                   Triage.suggested_category, Triage.youngest_band, Triage.explicit,
                   func.coalesce(Triage.known_status, "unknown"), ReviewState.category,
                   ReviewState.category.is_not(None),
                   func.coalesce(ReviewState.version, 0), origin)
            .outerjoin(_KEYS, _KEYS.c.content_id == Content.id)
            .outerjoin(Triage, Triage.content_id == Content.id)
            .outerjoin(LearnedPriority, LearnedPriority.content_id == Content.id)
            .outerjoin(ReviewState, ReviewState.content_id == Content.id)
            .where(Content.case_id == case_id, Content.media_type.in_(REVIEWABLE_MEDIA)))


def case_groups(session: Session, case_id: int, distance: int | None = None) -> dict[int, str]:
    """{content id: stack key} for every medium of the case (see ``stack_groups``)."""
    rows = session.execute(select(Content.id, Content.pdq, Content.pdq_quality).where(
        Content.case_id == case_id, Content.media_type.in_(REVIEWABLE_MEDIA)))
    return stack_groups(rows, distance)


def _load_keys(session: Session, groups: dict[int, str], ids: Iterable[int]) -> None:
    """(Re)fill the temporary key table with the non-leader members among ``ids``."""
    conn = session.connection()
    _KEYS.drop(conn, checkfirst=True)
    _KEYS.create(conn)
    rows = [{"content_id": cid, "stack_key": groups[cid]} for cid in ids
            if cid in groups and groups[cid] != str(cid)]
    for start in range(0, len(rows), 20 * _CHUNK):
        session.execute(insert(_KEYS), rows[start:start + 20 * _CHUNK])


def refresh_queue(session: Session, case_id: int, content_ids: Iterable[int] | None = None,
                  distance: int | None = None) -> int:
    """Bring the queue rows of a case up to date, in the caller's transaction.

    Stacks are the case's PDQ groups (``stack_groups``, within ``distance`` bits; default
    ``stack_distance()``). Without ``content_ids`` every row of the case is rebuilt. With
    them, the rows of those contents and of every stack whose membership changed (a new
    member may join or merge stacks, changing leader and size). Returns rows written.
    """
    label = learned_source(session, case_id)
    groups = case_groups(session, case_id, distance)
    written = _refresh(session, case_id, label, groups, content_ids)
    # Dropped on success only: after a failure the rollback (or the next refresh) removes it.
    _KEYS.drop(session.connection(), checkfirst=True)
    return written


def _refresh(session: Session, case_id: int, label: str, groups: dict[int, str],
             content_ids: Iterable[int] | None) -> int:
    """``refresh_queue`` with the case's stacks already computed."""
    if content_ids is None:
        session.execute(delete(ReviewQueue).where(ReviewQueue.case_id == case_id))
        _load_keys(session, groups, groups)
        written = _insert(session, _source(case_id, label))
        if session.get_bind().dialect.name == "postgresql":
            # Fresh statistics, so the planner keeps choosing the ordered index scans after a
            # rebuild changed the table wholesale (autovacuum would get there, but later).
            session.execute(text("ANALYZE review_queue"))
        return written
    old = dict(session.execute(select(ReviewQueue.content_id, ReviewQueue.stack_key)
                               .where(ReviewQueue.case_id == case_id)).all())
    changed = {cid for cid in content_ids if cid in groups}
    changed.update(cid for cid, key in groups.items() if old.get(cid) != key)
    new_keys = {groups[cid] for cid in changed}
    old_keys = {old[cid] for cid in changed if cid in old}
    # Whole stacks, before and after, so the window sees every member of each.
    members = sorted(cid for cid, key in groups.items()
                     if key in new_keys or old.get(cid, "") in old_keys)
    for part in range(0, len(members), _CHUNK):
        session.execute(delete(ReviewQueue).where(
            ReviewQueue.case_id == case_id,
            ReviewQueue.content_id.in_(members[part:part + _CHUNK])))
    _load_keys(session, groups, members)
    written = 0
    # One INSERT per slice of whole stacks: a stack never straddles two slices.
    for stack_ids in _stack_slices(groups, members):
        written += _insert(session, _source(case_id, label).where(Content.id.in_(stack_ids)))
    return written


def _stack_slices(groups: dict[int, str], members: list[int]) -> list[list[int]]:
    """``members`` cut into lists of about ``_CHUNK`` ids, keeping each stack together."""
    by_key: dict[str, list[int]] = {}
    for cid in members:
        by_key.setdefault(groups[cid], []).append(cid)
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
                                                     Content.media_type.in_(REVIEWABLE_MEDIA))))
    if not has_media:
        return False
    with Session(session.get_bind()) as w, w.begin():
        refresh_queue(w, case_id)
    return True

