"""The review workspace's side of learning (issue 7): continuous active learning after each
decision, the QA-sample queue and its figures, and applying a promoted model.

The queue follows every learned ranking: a finished round (on the scheduler's background
thread) and ``apply_promoted_model`` both rewrite ``review_queue.priority`` from
``learned_priority`` in their own transaction, so reviewers' requests never wait for them.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from sichter.learn.active_learning import RoundResult, Scheduler
from sichter.learn.qa import QaResult, SampleInfo, latest_sample, qa_queue
from sichter.learn.qa import result as qa_result
from sichter.store.cases import now
from sichter.store.learning_models import ActiveLearningState, LearnedPriority, QaSample
from sichter.store.models import Case, Occurrence
from sichter.store.review_models import ReviewQueue
from sichter.web.services.grid import Tile
from sichter.web.services.queue import NO_PRIORITY, ensure_queue, refresh_priorities

log = logging.getLogger(__name__)


def refresh_after_round(sessions: sessionmaker[Session], case_id: int) -> None:
    """Bring the queue's order up to date with ``learned_priority``, in its own transaction."""
    with sessions.begin() as s:
        refresh_priorities(s, case_id)


def after_decision(scheduler: Scheduler, sessions: sessionmaker[Session], case_id: int,
                   ) -> Future[RoundResult | None] | None:
    """Call after a decision (or undo) has committed. Returns at once; every K decisions a
    background round re-ranks the unreviewed items and then refreshes the queue's order."""
    return scheduler.after_decision(sessions, case_id,
                                    lambda _result: refresh_after_round(sessions, case_id))


@dataclass(frozen=True)
class Rescored:
    model_version: str | None   # None: no learned model is promoted, nothing was written
    items: int
    error: str | None = None    # the promoted model cannot be loaded: nothing was written


def apply_promoted_model(sessions: sessionmaker[Session], case_id: int) -> Rescored:
    """Score the case with the promoted relevance model and make that the queue's order.

    The scores go to ``learned_priority`` (replacing any active-learning round's), the model
    version to ``active_learning_state.details`` as their provenance; the decision count is
    kept, so continuous active learning carries on from there.
    """
    from sichter.learn.active import active_version, relevance_scores
    from sichter.learn.registry import UnloadableModel

    try:
        with sessions() as s:
            scores = relevance_scores(s, case_id)
            version = active_version(s)
    except UnloadableModel as exc:  # the learned order is optional: the queue keeps its order
        log.warning("case %s not rescored by the learned model: %s", case_id, exc)
        return Rescored(None, 0, str(exc))
    if scores is None or version is None:
        return Rescored(None, 0)
    at = now()
    with sessions.begin() as s:
        state = s.scalar(select(ActiveLearningState).where(ActiveLearningState.case_id == case_id))
        if state is None:
            state = ActiveLearningState(case_id=case_id, round=0, decisions_used=0, status="ok",
                                        updated_at=at, details={})
            s.add(state)
        s.execute(delete(LearnedPriority).where(LearnedPriority.case_id == case_id))
        s.add_all(LearnedPriority(case_id=case_id, content_id=cid, score=float(sc),
                                  round=state.round, computed_at=at) for cid, sc in scores.items())
        state.status, state.error, state.updated_at = "ok", None, at
        state.details = {"algorithm": "promoted model", "model_version": version,
                         "at": at.isoformat()}
    refresh_after_round(sessions, case_id)
    return Rescored(version, len(scores))


@dataclass(frozen=True)
class QaView:
    sample: SampleInfo | None      # the newest QA sample, None if the case has none
    tiles: list[Tile]              # its items still to review, in draw order


def qa_view(session: Session, case_id: int) -> QaView:
    """The QA queue: the newest sample's unreviewed items in draw order (reviewing a prefix in
    that order keeps it a uniform sample), as grid tiles of the items themselves (no stacks)."""
    sample = latest_sample(session, case_id, "")
    ids = qa_queue(session, case_id)
    if not ids:
        return QaView(sample, [])
    ensure_queue(session, case_id)
    Q = ReviewQueue
    first_path = (select(func.min(Occurrence.path)).where(Occurrence.case_id == Q.case_id,
                                                          Occurrence.content_id == Q.content_id)
                  .correlate(Q).scalar_subquery())
    rows = {r[0]: r for r in session.execute(
        select(Q.content_id, Q.priority, Q.suggested_category, Q.youngest_band, Q.explicit,
               Q.known_status, Q.category, Q.version, Q.media_type, first_path, Q.priority_source)
        .where(Q.case_id == case_id, Q.content_id.in_(ids)))}
    tiles = [Tile(cid, 1, None if r[1] == NO_PRIORITY else int(r[1]), r[2], r[3],
                  None if r[4] is None else float(r[4]), r[5], r[6], int(r[7]), r[8], r[9] or "",
                  r[10])
             for cid in ids if (r := rows.get(cid)) is not None]
    return QaView(sample, tiles)


def qa_figures(sessions: sessionmaker[Session], case_name: str) -> QaResult | None:
    """The latest QA sample's figures (n, seed, N, k, elusion rate and bounds), or None."""
    with sessions() as s:
        if s.scalar(select(QaSample.id).join(Case, Case.id == QaSample.case_id)
                    .where(Case.name == case_name).limit(1)) is None:
            return None
    return qa_result(sessions, case_name)


def queue_order(session: Session, case_id: int) -> dict[str, int]:
    """How many queue rows each source ordered ("model V", "cal round N", "triage", "none")."""
    rows = session.execute(select(ReviewQueue.priority_source, func.count())
                           .where(ReviewQueue.case_id == case_id)
                           .group_by(ReviewQueue.priority_source))
    return dict(sorted(((str(k), int(n)) for k, n in rows), key=lambda kv: -kv[1]))
