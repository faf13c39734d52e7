"""Continuous active learning in the review workspace: after every K decisions made in the
UI the unreviewed queue is re-ranked in the background, and reviewers never wait for it."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select
from web_support import Web, cal_case, login

from sichter.learn import active_learning
from sichter.store.ai_models import Triage

K = 10


def _unreviewed(client, csrf: str) -> list[dict]:
    r = client.get("/api/cases/cal/grid", params={"reviewed": "false", "limit": 100})
    assert r.status_code == 200, r.text
    return r.json()["tiles"]


def _decide(client, csrf: str, cid: int, category: str) -> None:
    r = client.post("/api/cases/cal/decisions", json={"items": {str(cid): 0}, "category": category,
                                                      "source": "grid"},
                    headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200, r.text


def test_after_k_decisions_the_unreviewed_order_becomes_the_learned_one(web: Web) -> None:
    rel, irr = cal_case(web)
    client = web.client(active_learning_every=K)
    csrf = login(client, "rev1")
    before = [t["content_id"] for t in _unreviewed(client, csrf)]
    assert set(before[:30]) == set(irr)  # triage: the relevant ones come last
    for cid in rel[:3]:
        _decide(client, csrf, cid, "1")
    for cid in irr[:K - 4]:
        _decide(client, csrf, cid, "0")
    app_state = client.app.state.web  # type: ignore[attr-defined]
    assert not app_state.rounds  # K - 1 decisions: no round yet
    _decide(client, csrf, irr[K - 4], "0")
    (job,) = app_state.rounds.values()
    result = job.result(timeout=60)
    assert result is not None and result.trained and result.round == 1

    tiles = _unreviewed(client, csrf)
    order = [t["content_id"] for t in tiles]
    assert set(order[:7]) == set(rel[3:])  # the learned order: like the relevant decisions
    assert all(t["order_source"] == "cal round 1" for t in tiles)
    priorities = [t["priority"] for t in tiles]
    assert priorities == sorted(priorities, reverse=True)
    with web.store.sessions() as s:  # triage's priority is a fact and stays as it was
        assert s.scalar(select(Triage.priority).where(Triage.content_id == rel[5])) == 40


def test_reviewers_are_not_blocked_while_a_round_runs(web: Web, monkeypatch: pytest.MonkeyPatch) -> None:
    rel, irr = cal_case(web)
    gate = threading.Event()
    real = active_learning.rerank

    def slow_rerank(*args, **kwargs):  # a round that takes as long as the test wants
        assert gate.wait(60)
        return real(*args, **kwargs)

    monkeypatch.setattr(active_learning, "rerank", slow_rerank)
    client = web.client(active_learning_every=K)
    csrf = login(client, "rev1")
    for cid in rel[:3] + irr[:K - 3]:
        _decide(client, csrf, cid, "1" if cid in rel else "0")  # the K-th starts the round
    (job,) = client.app.state.web.rounds.values()  # type: ignore[attr-defined]
    assert not job.done()
    # while it runs, reviewers keep deciding and paging, and see the old (triage) order
    _decide(client, csrf, irr[K], "0")
    tiles = _unreviewed(client, csrf)
    assert tiles and all(t["order_source"] == "triage" for t in tiles)
    assert not job.done()
    gate.set()
    assert job.result(timeout=60).round == 1
    assert {t["order_source"] for t in _unreviewed(client, csrf)} == {"cal round 1"}
