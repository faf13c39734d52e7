"""Reviewer decisions: decide (with stacks), undo, and the current decision per content.

Optimistic locking: a client sends the version of each item it saw; if someone else
changed it meanwhile, nothing is written and the caller gets a ``Conflict`` holding the
current state. Every change writes a ``review_decision`` row and an audit event.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from sichter.errors import SichterError, UsageError
from sichter.store.models import Case, Content
from sichter.store.review_models import ReviewDecision, ReviewQueue, ReviewState
from sichter.web.services import audit, queue, roles
from sichter.web.services.accounts import User
from sichter.web.services.schemes import valid_codes

SOURCES = ("grid", "stack", "item", "api", "undo", "qa")


@dataclass(frozen=True)
class Decision:
    """The current human decision on one content."""

    content_id: int
    category: str | None
    version: int
    reviewed_by: str
    reviewed_at: datetime


class Conflict(SichterError):
    """Someone changed an item after the caller saw it; ``current`` is what it is now."""

    def __init__(self, current: list[Decision | None], content_ids: list[int]) -> None:
        super().__init__(f"{len(content_ids)} item(s) were changed by someone else meanwhile")
        self.current = current
        self.content_ids = content_ids


def _decision(s: ReviewState) -> Decision:
    return Decision(s.content_id, s.category, s.version, s.reviewed_by, s.reviewed_at)


def current_decisions(session: Session, case_id: int,
                      content_ids: Iterable[int] | None = None) -> dict[int, Decision]:
    """{content_id: Decision} for every content of the case a reviewer has categorised.

    Items whose decision was undone back to "uncategorised" are left out.
    """
    q = select(ReviewState).where(ReviewState.case_id == case_id, ReviewState.category.is_not(None))
    if content_ids is not None:
        ids = list(content_ids)
        if not ids:
            return {}
        q = q.where(ReviewState.content_id.in_(ids))
    return {s.content_id: _decision(s) for s in session.scalars(q)}


def state_of(session: Session, case_id: int, content_ids: list[int]) -> dict[int, Decision]:
    """Current state including items set back to uncategorised (version > 0)."""
    if not content_ids:
        return {}
    rows = session.scalars(select(ReviewState).where(ReviewState.case_id == case_id,
                                                     ReviewState.content_id.in_(content_ids)))
    return {s.content_id: _decision(s) for s in rows}


def stack_members(session: Session, case_id: int, content_ids: list[int]) -> dict[int, list[int]]:
    """For each content, every content of the case in its near-duplicate stack (its PDQ group,
    as the review queue holds it; computed afresh for a content the queue does not hold yet)."""
    ids = set(session.scalars(select(Content.id).where(Content.case_id == case_id,
                                                       Content.id.in_(content_ids))))
    keys = dict(session.execute(select(ReviewQueue.content_id, ReviewQueue.stack_key).where(
        ReviewQueue.case_id == case_id, ReviewQueue.content_id.in_(ids))).all())
    if len(keys) < len(ids):  # no queue yet for some: the same grouping the queue would use
        groups = queue.case_groups(session, case_id)
        keys = {cid: groups.get(cid, str(cid)) for cid in ids}
        by_key: dict[str, list[int]] = {}
        for cid, key in sorted(groups.items()):
            by_key.setdefault(key, []).append(cid)
    else:
        by_key = {}
        for cid, key in session.execute(select(ReviewQueue.content_id, ReviewQueue.stack_key).where(
                ReviewQueue.case_id == case_id, ReviewQueue.stack_key.in_(set(keys.values())))
                .order_by(ReviewQueue.content_id)):
            by_key.setdefault(key, []).append(cid)
    return {cid: by_key.get(keys[cid], [cid]) for cid in ids}


def decide(session: Session, case: Case, user: str | User, seen: dict[int, int], category: str,
           source: str = "api", expand_stacks: bool = True) -> list[Decision]:
    """Set ``category`` on the items in ``seen`` ({content_id: version seen}, 0 = never decided).

    With ``expand_stacks`` each item's whole near-duplicate stack is decided too. Runs in the
    caller's transaction; raises ``Conflict`` (write nothing) if any seen version is stale, and
    ``roles.Forbidden`` when a web ``User``'s role may not decide.
    """
    user = roles.actor(user, roles.DECIDE)
    if category not in valid_codes(case.scheme):
        raise UsageError(f"{category!r} is not a category of the {case.scheme} scheme")
    if source not in SOURCES:
        raise UsageError(f"unknown decision source {source!r}")
    ids = list(seen)
    members = stack_members(session, case.id, ids)
    missing = [cid for cid in ids if cid not in members]
    if missing:
        raise UsageError(f"no content {missing[0]} in case {case.name!r}")
    targets: dict[int, int | None] = {}
    for cid in ids:
        for m in (members[cid] if expand_stacks else [cid]):
            targets.setdefault(m, None)
    targets.update(seen)
    states = state_of(session, case.id, list(targets))
    stale = [cid for cid, v in targets.items()
             if v is not None and (states[cid].version if cid in states else 0) != v]
    if stale:
        raise Conflict([states.get(cid) for cid in stale], stale)
    batch = uuid.uuid4().hex
    out = []
    for cid in targets:
        d = _write(session, case, user, cid, states.get(cid), category, source, batch)
        if d is not None:
            out.append(d)
    return out


def _write(session: Session, case: Case, user: str, content_id: int, state: Decision | None,
           category: str | None, source: str, batch: str) -> Decision | None:
    before = state.category if state else None
    if state is not None and state.category == category:
        return None
    at = datetime.now(UTC)
    version = (state.version if state else 0) + 1
    if state is None:
        session.add(ReviewState(content_id=content_id, case_id=case.id, category=category,
                                version=version, reviewed_by=user, reviewed_at=at))
        session.flush()  # a concurrent first decision fails here on the primary key
    else:
        done = session.execute(update(ReviewState).where(
            ReviewState.content_id == content_id, ReviewState.version == state.version)
            .values(category=category, version=version, reviewed_by=user, reviewed_at=at))
        if done.rowcount != 1:  # type: ignore[attr-defined]
            now = state_of(session, case.id, [content_id]).get(content_id)
            raise Conflict([now], [content_id])
    queue.record_decision(session, case.id, content_id, category, version)  # same transaction
    session.add(ReviewDecision(case_id=case.id, content_id=content_id, category=category,
                               previous_category=before, user=user, decided_at=at,
                               scheme=case.scheme, version=version, source=source, batch=batch))
    audit.append(session, case.id, user, "undo" if source == "undo" else "decide", content_id,
                 {"category": before, "version": version - 1},
                 {"category": category, "version": version, "source": source})
    return Decision(content_id, category, version, user, at)


def undo_last(session: Session, case: Case, user: str | User) -> tuple[list[Decision], list[int]]:
    """Revert this user's latest decision batch not yet undone.

    Returns (reverted decisions, content ids skipped because someone changed them since).
    """
    user = roles.actor(user, roles.DECIDE)
    undone = select(ReviewDecision.batch).where(ReviewDecision.case_id == case.id,
                                                ReviewDecision.source == "undo")
    batch = session.scalar(select(ReviewDecision.batch).where(
        ReviewDecision.case_id == case.id, ReviewDecision.user == user,
        ReviewDecision.source != "undo", ReviewDecision.batch.not_in(undone))
        .order_by(ReviewDecision.id.desc()).limit(1))
    if batch is None:
        return [], []
    rows = session.scalars(select(ReviewDecision).where(ReviewDecision.case_id == case.id,
                                                        ReviewDecision.batch == batch)).all()
    states = state_of(session, case.id, [r.content_id for r in rows])
    reverted, skipped = [], []
    for r in rows:
        st = states.get(r.content_id)
        if st is None or st.version != r.version:
            skipped.append(r.content_id)
            continue
        d = _write(session, case, user, r.content_id, st, r.previous_category, "undo", batch)
        if d is not None:
            reverted.append(d)
    if not reverted and not skipped:
        return [], []
    return reverted, skipped
