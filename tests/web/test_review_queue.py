"""The precomputed review queue: the grid follows ingest, rescore and decisions, filters work
through it, and keyset paging returns every stack exactly once in priority order at any depth."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import select
from typer.testing import CliRunner
from web_support import Store, add_contents

from sichter.cli import app
from sichter.demo.photos import encode, sample
from sichter.pipeline.ingest import ingest
from sichter.settings import Settings
from sichter.store.ai_models import Triage
from sichter.store.cases import create_case, get_case
from sichter.store.crypto import load_master_key
from sichter.store.models import Content, Occurrence
from sichter.store.review_models import ReviewQueue
from sichter.web.services import decisions, grid
from sichter.web.services.grid import GridFilter
from sichter.web.services.queue import refresh_queue


def _all_tiles(store: Store, case_id: int, flt: GridFilter = GridFilter(), limit: int = 2) -> list[grid.Tile]:
    """Every tile, walking the keyset cursor page by page like a reviewer."""
    out: list[grid.Tile] = []
    cursor = None
    with store.sessions() as s:
        for _ in range(1000):
            pg = grid.page(s, case_id, flt, cursor, limit)
            out += pg.tiles
            cursor = pg.next_cursor
            if cursor is None:
                return out
    raise AssertionError("paging did not end")


def _triage(store: Store, case_id: int, rows: dict[int, dict[str, object]]) -> None:
    with store.sessions.begin() as s:
        for cid, facts in rows.items():
            s.add(Triage(content_id=cid, case_id=case_id, computed_at=datetime.now(UTC),
                         computed_by="test", reasons=[], models={}, thresholds={},
                         **{"priority": 50, "suggested_category": "0", "youngest_band": "none",
                            "explicit": 0.1, "known_status": "unknown", **facts}))
        refresh_queue(s, case_id)


def test_filters_are_answered_from_the_queue(store: Store) -> None:
    a1, a2, b, lone = store.content_ids
    with store.sessions.begin() as s:
        case = get_case(s, "c1")
        s.add(Occurrence(case_id=case.id, content_id=lone, source="/evidence",
                         path="/evidence/holiday/IMG_1.jpg", path_key="k1", origin=[], size=1))
        s.execute(Content.__table__.update().where(Content.id == b).values(media_type="video"))
    _triage(store, case.id, {
        a1: {"priority": 90, "suggested_category": "1", "youngest_band": "under14", "explicit": 0.95},
        a2: {"priority": 90, "suggested_category": "1", "youngest_band": "under14", "explicit": 0.95},
        b: {"priority": 70, "suggested_category": "2", "youngest_band": "14to17", "explicit": 0.6,
            "known_status": "known"},
        lone: {"priority": 10, "youngest_band": "adult", "explicit": 0.05}})
    with store.sessions.begin() as s:
        decisions.decide(s, get_case(s, "c1"), "rev1", {b: 0}, "2")

    def ids(**flt: object) -> list[int]:
        return [t.content_id for t in _all_tiles(store, case.id, GridFilter(**flt))]  # type: ignore[arg-type]

    assert ids() == [a1, b, lone]  # the a-stack is one tile, best priority first
    assert _all_tiles(store, case.id)[0].stack_size == 2
    assert ids(status="known") == [b] and ids(status="unknown") == [a1, lone]
    assert ids(suggested="1") == [a1]
    assert ids(band="14to17") == [b] and ids(band="adult") == [lone]
    assert ids(explicit_min=0.5) == [a1, b] and ids(explicit_min=0.5, explicit_max=0.9) == [b]
    assert ids(decided="2") == [b] and ids(decided="none") == [a1, lone]
    assert ids(reviewed=True) == [b] and ids(reviewed=False) == [a1, lone]
    assert ids(media="video") == [b] and ids(media="image") == [a1, lone]
    assert ids(path="holiday/IMG") == [lone] and ids(path="%") == []
    assert ids(band="under14", reviewed=False, suggested="1") == [a1]


def test_decisions_and_undo_move_stacks_between_reviewed_and_unreviewed(store: Store) -> None:
    a1, a2, b, lone = store.content_ids
    with store.sessions() as s:
        case_id = get_case(s, "c1").id
    assert [t.content_id for t in _all_tiles(store, case_id, GridFilter(reviewed=False))] == [a1, b, lone]
    with store.sessions.begin() as s:
        decisions.decide(s, get_case(s, "c1"), "rev1", {a1: 0}, "1", source="stack")
    reviewed = _all_tiles(store, case_id, GridFilter(reviewed=True))
    assert [(t.content_id, t.category, t.version) for t in reviewed] == [(a1, "1", 1)]
    with store.sessions() as s:  # every member of the stack, not only the tile's leader
        rows = {r.content_id: r for r in s.scalars(select(ReviewQueue).where(ReviewQueue.case_id == case_id))}
    assert rows[a2].category == "1" and rows[a2].reviewed and rows[a2].version == 1
    assert [t.content_id for t in _all_tiles(store, case_id, GridFilter(reviewed=False))] == [b, lone]
    with store.sessions.begin() as s:
        decisions.undo_last(s, get_case(s, "c1"), "rev1")
    assert [t.content_id for t in _all_tiles(store, case_id, GridFilter(reviewed=False))] == [a1, b, lone]
    assert _all_tiles(store, case_id, GridFilter(decided="1")) == []
    assert _all_tiles(store, case_id)[0].version == 2  # the undo is a new version, for locking


def test_a_failed_decision_leaves_the_queue_unchanged(store: Store) -> None:
    _, _, b, _ = store.content_ids
    with store.sessions() as s:
        case_id = get_case(s, "c1").id
    with store.sessions.begin() as s:
        decisions.decide(s, get_case(s, "c1"), "rev1", {b: 0}, "2")
    with pytest.raises(decisions.Conflict), store.sessions.begin() as s:
        decisions.decide(s, get_case(s, "c1"), "rev2", {b: 0}, "0")
    reviewed = _all_tiles(store, case_id, GridFilter(reviewed=True))
    assert [(t.content_id, t.category) for t in reviewed] == [(b, "2")]


def test_partial_refresh_updates_the_whole_stack_of_a_new_member(store: Store) -> None:
    a1, a2, b, lone = store.content_ids
    with store.sessions() as s:
        case_id = get_case(s, "c1").id
    assert _all_tiles(store, case_id)[0].stack_size == 2  # builds the queue on first view
    with store.sessions.begin() as s:  # a later ingest brings a third near-duplicate
        new = Content(case_id=case_id, sha256="f" * 64, sha1="f" * 40, md5="f" * 32, size=1,
                      media_type="image", mime="image/png", pdq="a" * 64, analysed_at=datetime.now(UTC),
                      analysis={})
        s.add(new)
        s.flush()
        a3 = new.id
    with store.sessions.begin() as s:
        assert refresh_queue(s, case_id, [a3]) == 3  # the new member and its two stack mates
    tiles = {t.content_id: t.stack_size for t in _all_tiles(store, case_id)}
    assert tiles == {a1: 3, b: 1, lone: 1}


def test_rescore_reorders_the_grid(settings: Settings, store: Store) -> None:
    a1, a2, b, lone = store.content_ids
    explicit = {a1: 0.02, a2: 0.02, b: 0.05, lone: 0.97}
    with store.sessions.begin() as s:
        for cid, score in explicit.items():  # recorded detector outputs, as a model would store them
            s.execute(Content.__table__.update().where(Content.id == cid).values(analysis={"ai": {
                "explicit": score, "classes": {}, "faces": [], "youngest_band": "none", "models": {}}}))
        case_id = get_case(s, "c1").id
    before = _all_tiles(store, case_id)
    assert [t.content_id for t in before] == [a1, b, lone] and {t.priority for t in before} == {None}
    result = CliRunner().invoke(app, ["--home", str(settings.home), "--db", settings.effective_database_url,
                                      "rescore", "c1"], env={"SICHTER_USER": "tester"})
    assert result.exit_code == 0, result.output
    after = _all_tiles(store, case_id)
    assert after[0].content_id == lone
    with store.sessions() as s:
        triage = {t.content_id: t.priority for t in s.scalars(select(Triage))}
    assert {t.content_id: t.priority for t in after} == {cid: triage[cid] for cid in (a1, b, lone)}


@hsettings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(items=st.lists(st.tuples(st.integers(-1, 3), st.sampled_from(["a", "b", "c", None, None])),
                      min_size=1, max_size=25),
       limit=st.integers(1, 4))
def test_keyset_paging_returns_every_stack_once_in_order(store: Store, items: list[tuple[int, str | None]],
                                                         limit: int) -> None:
    case = create_case(store.sessions, load_master_key(store.settings.home, store.settings.master_key),
                       f"p{uuid.uuid4().hex[:12]}", None, "tester")
    ids = add_contents(store.sessions, case.id, [p * 64 if p else None for _, p in items])
    prio = {cid: pr for cid, (pr, _) in zip(ids, items, strict=True)}
    _triage(store, case.id, {cid: {"priority": pr} for cid, pr in prio.items() if pr >= 0})
    leaders: dict[str, int] = {}
    for cid, (_, p) in zip(ids, items, strict=True):
        leaders.setdefault(p or f"#{cid}", cid)
    expected = sorted(leaders.values(), key=lambda cid: (-prio[cid], cid))
    assert [t.content_id for t in _all_tiles(store, case.id, limit=limit)] == expected


@pytest.mark.slow
def test_the_queue_follows_ingest(tmp_path: Path, settings: Settings) -> None:
    from sichter.store.db import open_store

    evidence = tmp_path / "evidence"
    evidence.mkdir()
    # The same pixels losslessly in two formats: different files, same PDQ, one stack.
    (evidence / "brick.png").write_bytes(encode(sample("brick"), "PNG"))
    (evidence / "brick.bmp").write_bytes(encode(sample("brick"), "BMP"))
    (evidence / "grass.jpg").write_bytes(encode(sample("grass"), "JPEG"))
    sessions = open_store(settings.effective_database_url)
    create_case(sessions, load_master_key(settings.home, settings.master_key), "q", None, "tester")
    ingest(settings, sessions, "q", [evidence])
    store = Store(settings, sessions, [])
    with sessions() as s:
        case_id = get_case(s, "q").id
        queued = {r.content_id: r for r in s.scalars(
            select(ReviewQueue).where(ReviewQueue.case_id == case_id))}
        triage = {t.content_id: t for t in s.scalars(select(Triage).where(Triage.case_id == case_id))}
    assert len(queued) == 3 and all(r.priority == triage[cid].priority for cid, r in queued.items())
    assert sorted(r.stack_size for r in queued.values()) == [1, 2, 2]
    tiles = _all_tiles(store, case_id)
    assert sorted(t.stack_size for t in tiles) == [1, 2]

    (evidence / "brick.tif").write_bytes(encode(sample("brick"), "TIFF"))  # a third member arrives
    ingest(settings, sessions, "q", [evidence])
    assert sorted(t.stack_size for t in _all_tiles(store, case_id)) == [1, 3]
