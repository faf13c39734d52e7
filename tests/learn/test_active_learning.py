"""Continuous active learning: re-ranking the unreviewed queue from the case's decisions,
in the background, without blocking the caller."""

from __future__ import annotations

import threading
import time

from learn_helpers import Decisions, add_contents
from sqlalchemy import select

from sichter.learn.active_learning import Scheduler, rerank
from sichter.learn.ranking import case_ranking
from sichter.store.learning_models import ActiveLearningState, LearnedPriority


def _ai(explicit: float) -> dict:
    return {"ai": {"explicit": explicit, "classes": {}, "faces": [], "face_count": 0}}


def _case(store, new_case, n: int = 80) -> tuple[int, list[int], list[int]]:
    """Relevant items are the explicit ones; triage ranked them no better than the rest."""
    case_id = new_case("cal")
    rel = add_contents(store, case_id, [{"priority": 40, "analysis": _ai(0.7 + i / 1000)}
                                        for i in range(n // 4)])
    irr = add_contents(store, case_id, [{"priority": 40 + i % 20, "analysis": _ai(0.1 + i / 1000)}
                                        for i in range(n - n // 4)])
    return case_id, rel, irr


def test_rerank_puts_items_like_the_relevant_decisions_first(store, new_case) -> None:
    case_id, rel, irr = _case(store, new_case)
    decisions = Decisions()
    for cid in rel[:6]:
        decisions.decide(cid, "1")
    for cid in irr[:14]:
        decisions.decide(cid, "0")
    result = rerank(store, case_id, decisions)
    assert result.trained and result.round == 1 and result.decisions_used == 20
    assert result.rescored == 60
    with store() as s:
        learned = dict(s.execute(select(LearnedPriority.content_id, LearnedPriority.score)).all())
        ranking = case_ranking(s, case_id)
    assert set(learned) == set(rel[6:]) | set(irr[14:])  # reviewed items are not re-ranked
    assert min(learned[c] for c in rel[6:]) > max(learned[c] for c in irr[14:])
    assert ranking.sources == {"learned": 60, "triage": 20}
    assert ranking.provenance["active_learning"]["round"] == 1


def test_one_class_so_far_keeps_the_initial_order(store, new_case) -> None:
    case_id, rel, irr = _case(store, new_case)
    decisions = Decisions()
    for cid in irr[:5]:
        decisions.decide(cid, "0")
    result = rerank(store, case_id, decisions)
    assert not result.trained
    with store() as s:
        learned = dict(s.execute(select(LearnedPriority.content_id, LearnedPriority.score)).all())
    assert learned[irr[-1]] == (40 + (len(irr) - 1) % 20) / 100


def test_scheduler_waits_for_k_decisions_then_reranks_in_the_background(store, new_case) -> None:
    case_id, rel, irr = _case(store, new_case)
    decisions = Decisions()
    release = threading.Event()

    def slow_source(session, cid):
        if threading.current_thread().name.startswith("sichter-cal"):
            release.wait(10)
        return decisions(session, cid)

    sched = Scheduler(every=10, source=slow_source)
    try:
        for cid in rel[:3] + irr[:4]:
            decisions.decide(cid, "1" if cid in rel else "0")
        assert sched.after_decision(store, case_id) is None
        for cid in irr[4:7]:
            decisions.decide(cid, "0")
        started = time.monotonic()
        job = sched.after_decision(store, case_id)
        assert job is not None and time.monotonic() - started < 2.0
        assert not job.done()  # the reviewer's request returned while the round runs
        assert sched.after_decision(store, case_id) is job  # one round per case at a time
        release.set()
        result = job.result(timeout=60)
        assert result is not None and result.round == 1 and result.decisions_used == 10
        assert sched.after_decision(store, case_id) is None  # nothing new since
    finally:
        release.set()
        sched.shutdown()


def test_a_failed_round_is_recorded_and_never_raises(store, new_case) -> None:
    case_id, rel, irr = _case(store, new_case, n=8)
    decisions = Decisions()
    for cid in rel + irr:
        decisions.decide(cid, "0")

    def broken_in_background(session, cid):
        if threading.current_thread().name.startswith("sichter-cal"):
            raise RuntimeError("decision store unavailable")
        return decisions(session, cid)

    sched = Scheduler(every=5, source=broken_in_background)
    try:
        job = sched.after_decision(store, case_id)
        assert job is not None and job.result(timeout=60) is None
    finally:
        sched.shutdown()
    with store() as s:
        state = s.scalar(select(ActiveLearningState).where(ActiveLearningState.case_id == case_id))
    assert state is not None and state.status == "failed" and "unavailable" in (state.error or "")


def test_export_records_carry_the_learned_priority(store, new_case) -> None:
    from sichter.report.export import records
    from sichter.store.models import Occurrence

    case_id, rel, irr = _case(store, new_case, n=40)
    decisions = Decisions()
    for cid in rel[:3] + irr[:5]:
        decisions.decide(cid, "1" if cid in rel else "0")
    rerank(store, case_id, decisions)
    with store.begin() as s:
        for cid in (rel[0], rel[5]):
            s.add(Occurrence(case_id=case_id, content_id=cid, source="/evidence", path=f"/evidence/{cid}.jpg",
                             path_key=f"{cid:064d}", origin=[], size=1))
    out = {r["path"]: r for r in records(store, "cal")}
    reviewed, queued = out[f"/evidence/{rel[0]}.jpg"], out[f"/evidence/{rel[5]}.jpg"]
    assert reviewed["learned_priority"] is None
    assert 0.0 <= queued["learned_priority"] <= 1.0 and queued["learned_round"] == 1
