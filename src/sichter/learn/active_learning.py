"""Continuous active learning inside a case (Cormack & Grossman 2014).

After every K new decisions the unreviewed items are re-ranked by a model trained on the
case's decisions so far, with the case's initial ranking (AI triage priority) among its
features, so that the first rounds stay close to the triage order and later ones learn what
this case's reviewers call relevant. Scores go to ``learned_priority`` (0..1).

How the web UI uses it: after each decision request has committed, call
``after_decision(sessions, case_id)``. It returns at once; when K decisions have accumulated
it schedules a re-ranking on a background thread (one at a time per case; decisions made
meanwhile are counted for the next round). The review grid orders unreviewed items by
``learned_priority.score`` where a row exists, else by triage priority / 100
(``sichter.learn.ranking.case_ranking`` does exactly that), and can show the round from
``active_learning_state``. Reviewers are never blocked; a failed round is recorded in
``active_learning_state.error`` and the previous scores stay.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from sichter.learn import model as est
from sichter.learn.decisions import DecisionSource, ReviewedItem, decided_count, review_decisions
from sichter.learn.features import feature_vector, load_facts
from sichter.learn.labels import is_relevant
from sichter.store.cases import now
from sichter.store.learning_models import ActiveLearningState, LearnedPriority
from sichter.store.models import Case

DEFAULT_EVERY = 25
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RoundResult:
    round: int
    decisions_used: int
    rescored: int
    trained: bool        # False while the decisions hold only one class: the order is unchanged


def rerank(sessions: sessionmaker[Session], case_id: int,
           source: DecisionSource = review_decisions) -> RoundResult:
    """Train on the case's decisions so far and rewrite ``learned_priority`` for the rest."""
    with sessions() as s:
        scheme = s.scalar(select(Case.scheme).where(Case.id == case_id)) or "vics-us"
        decisions = source(s, case_id)
        facts = load_facts(s, case_id)
        state = s.scalar(select(ActiveLearningState).where(ActiveLearningState.case_id == case_id))
        last_round = state.round if state else 0
    labels = {cid: is_relevant(d.category, scheme) for cid, d in decisions.items()}
    train = [(feature_vector(f), bool(labels[f.content_id])) for f in facts
             if labels.get(f.content_id) is not None]
    todo = [f for f in facts if f.content_id not in decisions or decisions[f.content_id].category is None]
    positives = sum(y for _, y in train)
    trained = 0 < positives < len(train)
    if trained:
        m = est.relevance_estimator(len(train), min(positives, len(train) - positives))
        est.fit(m, [x for x, _ in train], [y for _, y in train])
        scores = est.positive_proba(m, [feature_vector(f) for f in todo])
    else:
        # one class only: nothing to learn yet; keep the initial ranking's order
        scores = [(f.triage_priority or 0) / 100.0 for f in todo]
    rnd = last_round + 1
    at = now()
    with sessions.begin() as s:
        s.execute(delete(LearnedPriority).where(LearnedPriority.case_id == case_id))
        s.add_all(LearnedPriority(case_id=case_id, content_id=f.content_id, score=sc, round=rnd,
                                  computed_at=at) for f, sc in zip(todo, scores, strict=True))
        _set_state(s, case_id, rnd, _decided(decisions), "ok", None,
                   {"algorithm": est.ALGORITHM if trained else "initial ranking (one class so far)",
                    "relevant": positives, "at": at.isoformat()})
    return RoundResult(rnd, _decided(decisions), len(todo), trained)


def _decided(decisions: Mapping[int, ReviewedItem]) -> int:
    return sum(1 for d in decisions.values() if d.category is not None)


def _set_state(s: Session, case_id: int, rnd: int, used: int, status: str, error: str | None,
               details: dict[str, object]) -> None:
    state = s.scalar(select(ActiveLearningState).where(ActiveLearningState.case_id == case_id))
    if state is None:
        state = ActiveLearningState(case_id=case_id, round=0, decisions_used=0)
        s.add(state)
    state.round, state.decisions_used, state.status, state.error = rnd, used, status, error
    state.updated_at = now()
    state.details = details


class Scheduler:
    """Runs re-rankings off the request path: one worker thread, at most one job per case."""

    def __init__(self, every: int = DEFAULT_EVERY, source: DecisionSource = review_decisions) -> None:
        self.every = every
        self.source = source
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sichter-cal")
        self._lock = threading.Lock()
        self._running: dict[int, Future[RoundResult | None]] = {}

    def after_decision(self, sessions: sessionmaker[Session], case_id: int,
                       then: Callable[[RoundResult], None] | None = None,
                       ) -> Future[RoundResult | None] | None:
        """Schedule a re-ranking when K decisions arrived since the last one; never blocks.

        ``then(result)`` runs on the background thread after a successful round, before the
        returned future resolves (the review workspace refreshes its queue there)."""
        with sessions() as s:
            made = (decided_count(s, case_id) if self.source is review_decisions
                    else _decided(self.source(s, case_id)))
            used = s.scalar(select(ActiveLearningState.decisions_used)
                            .where(ActiveLearningState.case_id == case_id)) or 0
        if made - used < self.every:
            return None
        with self._lock:
            running = self._running.get(case_id)
            if running is not None and not running.done():
                return running
            job = self._pool.submit(self._run, sessions, case_id, then)
            self._running[case_id] = job
            return job

    def _run(self, sessions: sessionmaker[Session], case_id: int,
             then: Callable[[RoundResult], None] | None = None) -> RoundResult | None:
        try:
            result = rerank(sessions, case_id, self.source)
            if then is not None:
                then(result)
            return result
        except Exception as exc:  # noqa: BLE001 - a background round must never take the app down
            log.exception("active-learning round failed for case %s", case_id)
            with sessions.begin() as s:
                state = s.scalar(select(ActiveLearningState)
                                 .where(ActiveLearningState.case_id == case_id))
                _set_state(s, case_id, state.round if state else 0,
                           state.decisions_used if state else 0, "failed", str(exc)[:500],
                           state.details if state else {})
            return None

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True)


_DEFAULT: Scheduler | None = None


def after_decision(sessions: sessionmaker[Session], case_id: int, every: int = DEFAULT_EVERY,
                   then: Callable[[RoundResult], None] | None = None,
                   ) -> Future[RoundResult | None] | None:
    """For the web app: call after each committed decision (see the module docstring)."""
    global _DEFAULT
    if _DEFAULT is None or _DEFAULT.every != every:
        _DEFAULT = Scheduler(every)
    return _DEFAULT.after_decision(sessions, case_id, then)
