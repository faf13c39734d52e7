"""Decisions, stacks, undo, optimistic locking and the audit chain, through the services."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.exc import DBAPIError
from web_support import Store, tamper_with_audit

from sichter.errors import UsageError
from sichter.store.cases import get_case
from sichter.store.review_models import AuditEvent, ReviewDecision
from sichter.web.services import audit, decisions


def test_deciding_a_stack_decides_every_member(store: Store) -> None:
    a1, a2, b, lone = store.content_ids
    with store.sessions.begin() as s:
        made = decisions.decide(s, get_case(s, "c1"), "rev1", {a1: 0}, "1", source="stack")
    assert {d.content_id for d in made} == {a1, a2}
    with store.sessions() as s:
        current = decisions.current_decisions(s, get_case(s, "c1").id)
    assert {cid: d.category for cid, d in current.items()} == {a1: "1", a2: "1"}
    assert current[a1].reviewed_by == "rev1" and current[a1].version == 1


def test_second_reviewer_with_a_stale_version_gets_a_conflict_and_nothing_is_written(store: Store) -> None:
    _, _, b, _ = store.content_ids
    with store.sessions.begin() as s:
        decisions.decide(s, get_case(s, "c1"), "rev1", {b: 0}, "2")
    with pytest.raises(decisions.Conflict) as caught, store.sessions.begin() as s:
        decisions.decide(s, get_case(s, "c1"), "rev2", {b: 0}, "0")
    assert caught.value.current[0] is not None and caught.value.current[0].category == "2"
    with store.sessions() as s:
        assert decisions.current_decisions(s, get_case(s, "c1").id)[b].category == "2"


def test_undo_restores_the_previous_category_of_the_whole_batch(store: Store) -> None:
    a1, a2, b, _ = store.content_ids
    with store.sessions.begin() as s:
        case = get_case(s, "c1")
        decisions.decide(s, case, "rev1", {b: 0}, "3")
        decisions.decide(s, case, "rev1", {b: 1}, "4")
        decisions.decide(s, case, "rev1", {a1: 0}, "1")
    with store.sessions.begin() as s:
        reverted, skipped = decisions.undo_last(s, get_case(s, "c1"), "rev1")
    assert {d.content_id for d in reverted} == {a1, a2} and not skipped
    with store.sessions.begin() as s:
        reverted, _ = decisions.undo_last(s, get_case(s, "c1"), "rev1")
    assert [(d.content_id, d.category) for d in reverted] == [(b, "3")]
    with store.sessions() as s:
        case_id = get_case(s, "c1").id
        assert {k: d.category for k, d in decisions.current_decisions(s, case_id).items()} == {b: "3"}
        assert s.query(ReviewDecision).filter_by(source="undo").count() == 3


def test_category_outside_the_case_scheme_is_refused(store: Store) -> None:
    with pytest.raises(UsageError, match="not a category"), store.sessions.begin() as s:
        decisions.decide(s, get_case(s, "c1"), "rev1", {store.content_ids[0]: 0}, "A")


def test_audit_chain_verifies_and_names_the_first_edited_row(store: Store) -> None:
    a1, _, b, lone = store.content_ids
    with store.sessions.begin() as s:
        case = get_case(s, "c1")
        decisions.decide(s, case, "rev1", {a1: 0}, "1")
        decisions.decide(s, case, "rev1", {b: 0}, "0")
        audit.append(s, case.id, "rev1", "view-full", lone, None, None)
    with store.sessions() as s:
        report = audit.verify(s, get_case(s, "c1").id)
    assert report.ok and report.rows == 4
    with store.sessions.begin() as s:
        victim = s.query(AuditEvent).filter_by(seq=3).one()
        tamper_with_audit(s, update(AuditEvent).where(AuditEvent.id == victim.id)
                          .values(after={"category": "4", "version": 1, "source": "grid"}))
    with store.sessions() as s:
        report = audit.verify(s, get_case(s, "c1").id)
    assert not report.ok and report.first_broken_seq == 3 and report.first_broken_id == victim.id
    assert "edited" in (report.reason or "")


def test_the_database_refuses_to_edit_or_delete_audit_rows(store: Store) -> None:
    a1 = store.content_ids[0]
    with store.sessions.begin() as s:
        decisions.decide(s, get_case(s, "c1"), "rev1", {a1: 0}, "1")
    with store.sessions() as s:
        before = s.execute(select(AuditEvent.id, AuditEvent.user, AuditEvent.hash)).all()
    assert before
    for statement in (update(AuditEvent).values(user="someone-else"), delete(AuditEvent)):
        with pytest.raises(DBAPIError, match="append-only"), store.sessions.begin() as s:
            s.execute(statement)
    with store.sessions() as s:
        assert audit.verify(s, get_case(s, "c1").id).ok
        assert s.execute(select(AuditEvent.id, AuditEvent.user, AuditEvent.hash)).all() == before


def test_html_report_counts_categories_and_reviewers(store: Store) -> None:
    from sichter.report.html import render_report

    a1, _, b, _ = store.content_ids
    with store.sessions.begin() as s:
        case = get_case(s, "c1")
        decisions.decide(s, case, "rev1", {a1: 0}, "1")
        decisions.decide(s, case, "rev2", {b: 0}, "0")
    html = render_report(store.sessions, "c1")
    assert "Review decisions" in html and "Reviewed 3 of 4" in html
    assert "<td>rev1</td><td class=\"n\">2</td>" in html and "<td>rev2</td>" in html
