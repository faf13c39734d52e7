"""Near-duplicates stack by PDQ group: contents whose PDQs are within a few bits form one tile,
a new near-duplicate joins (or merges) stacks on a partial refresh, and deciding a stack decides
every member."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from web_support import Store, add_contents

from sichter.demo.photos import encode, sample
from sichter.pipeline.ingest import ingest
from sichter.settings import Settings
from sichter.store.cases import create_case, get_case
from sichter.store.crypto import load_master_key
from sichter.store.db import open_store
from sichter.store.models import Content
from sichter.store.review_models import ReviewQueue, ReviewState
from sichter.web.services import decisions
from sichter.web.services.queue import refresh_queue, stack_groups

BASE = "0" * 64


def _flip(hex_: str, *bits: int) -> str:
    """``hex_`` with the given bits flipped."""
    value = int(hex_, 16)
    for b in bits:
        value ^= 1 << b
    return f"{value:064x}"


def test_stacks_are_connected_components_within_the_distance() -> None:
    far = "f" * 64
    rows = [(10, BASE, 100), (11, _flip(BASE, 1, 2, 3), 100),  # 3 bits from 10
            (12, _flip(BASE, 1, 2, 3, 40, 41, 42, 43, 44, 45, 46, 47), 100),  # 8 from 11, 11 from 10
            (13, far, 100), (14, _flip(BASE, 7), 20),  # low quality: only identical hashes stack
            (15, _flip(BASE, 7), 20), (16, None, None)]
    groups = stack_groups(rows, distance=10)
    assert groups == {10: "10", 11: "10", 12: "10", 13: "13", 14: "14", 15: "14", 16: "16"}
    assert stack_groups(rows, distance=0)[11] == "11"  # distance 0: identical PDQs only


def _queue(store: Store, case_id: int) -> dict[int, tuple[bool, str, int]]:
    with store.sessions() as s:
        return {r.content_id: (r.is_leader, r.stack_key, r.stack_size) for r in s.scalars(
            select(ReviewQueue).where(ReviewQueue.case_id == case_id))}


def test_a_new_near_duplicate_merges_stacks_on_a_partial_refresh(store: Store) -> None:
    case_id = create_case(store.sessions, load_master_key(store.settings.home, store.settings.master_key),
                          "m", None, "tester").id
    left, right = _flip(BASE, *range(0, 6)), _flip(BASE, *range(100, 106))  # 12 bits apart
    a, b = add_contents(store.sessions, case_id, [left, right])
    with store.sessions.begin() as s:
        refresh_queue(s, case_id)
    assert _queue(store, case_id)[b] == (True, str(b), 1)
    with store.sessions.begin() as s:  # a later ingest brings one 6 bits from each
        new = Content(case_id=case_id, sha256="e" * 64, sha1="e" * 40, md5="e" * 32, size=1,
                      media_type="image", mime="image/png", pdq=BASE, pdq_quality=100,
                      analysed_at=datetime.now(UTC), analysis={})
        s.add(new)
        s.flush()
        bridge = new.id
    with store.sessions.begin() as s:
        assert refresh_queue(s, case_id, [bridge]) == 3
    queue = _queue(store, case_id)
    assert {cid: queue[cid] for cid in (a, b, bridge)} == {
        a: (True, str(a), 3), b: (False, str(a), 3), bridge: (False, str(a), 3)}
    with store.sessions.begin() as s:  # a partial refresh agrees with a full rebuild
        refresh_queue(s, case_id)
    assert _queue(store, case_id) == queue


def test_recompressed_photos_stack_and_are_decided_together(tmp_path: Path, settings: Settings) -> None:
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    coffee = sample("coffee")
    (evidence / "coffee90.jpg").write_bytes(encode(coffee, "JPEG", quality=90))
    (evidence / "coffee60.jpg").write_bytes(encode(coffee, "JPEG", quality=60))
    (evidence / "grass.jpg").write_bytes(encode(sample("grass"), "JPEG", quality=90))
    sessions = open_store(settings.effective_database_url)
    create_case(sessions, load_master_key(settings.home, settings.master_key), "nd", None, "tester")
    ingest(settings, sessions, "nd", [evidence])
    with sessions() as s:
        case_id = get_case(s, "nd").id
        pdqs = dict(s.execute(select(Content.id, Content.pdq).where(Content.case_id == case_id)).all())
    queue = _queue(Store(settings, sessions, []), case_id)
    sizes = sorted(size for _, _, size in queue.values())
    assert sizes == [1, 2, 2]
    pair = sorted(cid for cid, (_, _, size) in queue.items() if size == 2)
    bits = bin(int(pdqs[pair[0]], 16) ^ int(pdqs[pair[1]], 16)).count("1")
    assert 0 < bits <= 10  # near, not identical: the old equal-PDQ stacking would miss it
    assert queue[pair[0]][0] and not queue[pair[1]][0]
    with sessions.begin() as s:
        decisions.decide(s, get_case(s, "nd"), "rev1", {pair[0]: 0}, "0", source="stack")
    with sessions() as s:
        decided = {r.content_id: r.category for r in s.scalars(
            select(ReviewState).where(ReviewState.case_id == case_id))}
    assert decided == {pair[0]: "0", pair[1]: "0"}  # the unrelated photo stays undecided
    sessions.kw["bind"].dispose()
