"""QA samples: a uniform, reproducible draw from the unreviewed low-priority pile, and the
elusion figures once it is reviewed."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from learn_helpers import Decisions, add_contents
from sqlalchemy.orm import Session, sessionmaker

from sichter.errors import UsageError
from sichter.learn import qa


def _case_with_pile(store: sessionmaker[Session], new_case: Callable[[str], int],
                    name: str = "c1") -> tuple[list[int], list[int]]:
    case_id = new_case(name)
    high = add_contents(store, case_id, [{"priority": 90} for _ in range(20)])
    low = add_contents(store, case_id, [{"priority": 5} for _ in range(200)])
    return high, low


def test_sample_draws_only_unreviewed_items_below_the_threshold(store, new_case) -> None:
    high, low = _case_with_pile(store, new_case)
    decisions = Decisions()
    for cid in low[:50]:
        decisions.decide(cid, "0")
    info = qa.draw(store, "c1", n=30, user="lead", seed=7, source=decisions)
    assert info.n == 30 and info.seed == 7 and info.population == 150
    assert set(info.content_ids) <= set(low[50:])
    assert len(set(info.content_ids)) == 30


def test_same_seed_draws_the_same_items_and_records_who_and_when(store, new_case) -> None:
    case_id = new_case("c1")
    add_contents(store, case_id, [{"priority": 5} for _ in range(100)])
    a = qa.draw(store, "c1", n=25, user="lead", seed=42, source=Decisions())
    b = qa.draw(store, "c1", n=25, user="lead", seed=42, source=Decisions())
    c = qa.draw(store, "c1", n=25, user="lead", seed=43, source=Decisions())
    assert a.content_ids == b.content_ids != c.content_ids
    assert a.created_by == "lead" and a.created_at is not None
    with store() as s:
        stored = qa.latest_sample(s, case_id, "c1", a.id)
    assert stored is not None and stored.content_ids == a.content_ids and stored.seed == 42


def test_sample_without_seed_records_the_seed_it_used(store, new_case) -> None:
    _case_with_pile(store, new_case)
    info = qa.draw(store, "c1", n=10, user="lead", source=Decisions())
    again = qa.draw(store, "c1", n=10, user="lead", seed=info.seed, source=Decisions())
    assert again.content_ids == info.content_ids


def test_asking_for_more_than_the_pile_takes_the_whole_pile(store, new_case) -> None:
    _, low = _case_with_pile(store, new_case)
    info = qa.draw(store, "c1", n=1000, user="lead", seed=1, source=Decisions())
    assert info.n == 200 == info.population and info.requested == 1000
    assert sorted(info.content_ids) == sorted(low)


def test_result_with_nothing_relevant_in_300(store, new_case) -> None:
    case_id = new_case("big")
    found = add_contents(store, case_id, [{"priority": 95} for _ in range(60)])
    add_contents(store, case_id, [{"priority": 3} for _ in range(1000)])
    decisions = Decisions()
    for cid in found:
        decisions.decide(cid, "1", user="anna")
    info = qa.draw(store, "big", n=300, user="lead", seed=3, source=decisions)
    assert info.population == 1000
    for cid in info.content_ids:
        decisions.decide(cid, "0", user="ben")
    r = qa.result(store, "big", source=decisions)
    assert r.reviewed == 300 and r.relevant_in_sample == 0 and r.found_outside == 60
    assert r.reviewers == ["ben"]
    assert r.elusion is not None
    assert r.elusion.rate_upper == pytest.approx(0.009937, abs=1e-6)
    assert r.elusion.missed_upper == pytest.approx(9.937, abs=1e-3)
    assert r.elusion.recall_lower == pytest.approx(60 / (60 + 9.937), abs=1e-4)


def test_result_counts_relevant_items_found_in_the_sample(store, new_case) -> None:
    _case_with_pile(store, new_case)
    decisions = Decisions()
    info = qa.draw(store, "c1", n=40, user="lead", seed=5, source=decisions)
    for i, cid in enumerate(info.content_ids):
        decisions.decide(cid, "2" if i < 2 else "4", user="anna" if i % 2 else "ben")
    r = qa.result(store, "c1", source=decisions)
    assert (r.reviewed, r.relevant_in_sample) == (40, 2)
    assert r.elusion is not None and r.elusion.rate == pytest.approx(0.05)
    assert r.reviewers == ["anna", "ben"]


def test_result_before_review_has_no_estimate_and_queue_lists_the_sample(store, new_case) -> None:
    case_id = new_case("c1")
    add_contents(store, case_id, [{"priority": 5} for _ in range(100)])
    decisions = Decisions()
    info = qa.draw(store, "c1", n=5, user="lead", seed=9, source=decisions)
    assert qa.result(store, "c1", source=decisions).elusion is None
    decisions.decide(info.content_ids[0], "0")
    with store() as s:
        assert qa.qa_queue(s, case_id, source=decisions) == info.content_ids[1:]


def test_no_sample_and_bad_sizes_are_usage_errors(store, new_case) -> None:
    _case_with_pile(store, new_case)
    with pytest.raises(UsageError, match="no QA sample"):
        qa.result(store, "c1", source=Decisions())
    with pytest.raises(UsageError):
        qa.draw(store, "c1", n=0, user="lead", source=Decisions())
    with pytest.raises(UsageError, match="no case"):
        qa.draw(store, "nope", n=3, user="lead", source=Decisions())
