"""Known status: what a content's matches and read errors make of it, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from sichter.matching.service import KnownStatus, known_status
from sichter.settings import Settings
from sichter.store.cases import create_case
from sichter.store.crypto import load_master_key
from sichter.store.db import open_store
from sichter.store.hashset_models import HashMatch, HashSet
from sichter.store.models import Content

NOW = datetime(2026, 1, 2, tzinfo=UTC)


def _content(case_id: int, n: int, error: str | None = None) -> Content:
    return Content(case_id=case_id, sha256=f"{n:064x}", sha1=f"{n:040x}", md5=f"{n:032x}", size=1,
                   media_type="image", mime="image/jpeg", analysed_at=NOW, analysis={}, error=error)


def _set(name: str, role: str, scheme: str | None) -> HashSet:
    return HashSet(name=name, role=role, format="vics", scheme=scheme, file_name=name + ".json",
                   file_sha256=name.ljust(64, "0"), imported_at=NOW, imported_by="t", entries=1,
                   bad_records=0, details={})


def _match(case_id: int, content: Content, hs: HashSet, category: int | None) -> HashMatch:
    return HashMatch(case_id=case_id, content_id=content.id, hash_set_id=hs.id, kind="md5",
                     category=category, set_scheme=hs.scheme, matched_at=NOW, matched_by="t",
                     details={})


def test_status_known_good_known_error_unknown(settings: Settings) -> None:
    sessions = open_store(settings.effective_database_url)
    case = create_case(sessions, load_master_key(settings.home, settings.master_key), "c1", None,
                       "tester", scheme="vics-us")
    with sessions.begin() as s:
        nsrl, vics, dhs = _set("nsrl", "known_good", None), _set("v", "reference", "vics-us"), \
            _set("d", "reference", "dhs")
        good, cat1, both, broken, plain, dhs0, dhs5 = (_content(case.id, i) for i in range(7))
        broken.error = "truncated JPEG"
        s.add_all([nsrl, vics, dhs, good, cat1, both, broken, plain, dhs0, dhs5])
        s.flush()
        s.add_all([_match(case.id, good, nsrl, None), _match(case.id, cat1, vics, 1),
                   _match(case.id, both, nsrl, None), _match(case.id, both, vics, 2),
                   _match(case.id, dhs0, dhs, 0), _match(case.id, dhs5, dhs, 5)])
        ids = [c.id for c in (good, cat1, both, broken, plain, dhs0, dhs5)]
    with sessions() as s:
        st = known_status(s, case.id, ids + [10**6])
    assert st[ids[0]] == KnownStatus("known_good", None, None, "nsrl")
    assert st[ids[1]] == KnownStatus("known", "1", "vics-us", "v")
    # categorised wins over known-good: it never leaves the review queue
    assert st[ids[2]] == KnownStatus("known", "2", "vics-us", "v")
    assert st[ids[3]].status == "error"
    assert st[ids[4]].status == "unknown"
    # DHS CAT-0 is "uncategorised"; DHS CAT-5 (non-pertinent) is VICS-US 0 in this case
    assert st[ids[5]].status == "unknown"
    assert st[ids[6]] == KnownStatus("known", "0", "vics-us", "d")
    assert 10**6 not in st



def test_matching_without_any_hash_set_matches_nothing_and_is_still_logged(
        settings: Settings) -> None:
    from sqlalchemy import select

    from sichter.matching.engine import match_case
    from sichter.store.models import CaseLog

    sessions = open_store(settings.effective_database_url)
    case = create_case(sessions, load_master_key(settings.home, settings.master_key), "c2", None,
                       "tester", scheme="vics-us")
    with sessions.begin() as s:
        s.add_all([_content(case.id, 1), _content(case.id, 2, error="truncated JPEG")])
    summary = match_case(sessions, case.id, "tester")
    assert summary.contents == 2 and summary.matched_contents == 0
    with sessions() as s:
        logged = s.scalars(select(CaseLog).where(CaseLog.case_id == case.id,
                                                 CaseLog.action == "match")).one()
        assert logged.details["contents"] == 2 and logged.details["matches"] == {}
        assert "orb_ransac" in logged.details["matchers"]  # what would have run is recorded
