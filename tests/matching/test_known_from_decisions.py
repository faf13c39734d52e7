"""Decisions flow back into known sets: benign photos and a video decided by a reviewer in one
case become a hash set (``hashset from-case``); in a second case a cropped, watermarked copy is
found by the robust matcher, a mirrored one by dihedral PDQ, an exact copy by SHA-256 (and never
re-checked by the robust matcher), a re-encoded video by vPDQ; unrelated photos stay unknown.
The robust features in the set are sealed under the derived hash-set key. SQLite and PostgreSQL.
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from sichter.classify.video_synth import reencode, write_video
from sichter.demo.photos import TRANSFORMS, encode, sample
from sichter.errors import CryptoError
from sichter.hashsets.from_case import set_from_case
from sichter.hashsets.importer import entries_of, list_sets
from sichter.hashsets.keys import hashset_key, open_features
from sichter.matching.engine import match_case
from sichter.matching.robust import DERIVATIVE_KIND, LocalFeatures
from sichter.matching.robust_stage import features_from_derivative
from sichter.matching.service import known_status, matches_of
from sichter.pipeline.ingest import ingest
from sichter.settings import Settings, load_settings
from sichter.store.cases import create_case, data_key, get_case
from sichter.store.crypto import load_master_key
from sichter.store.db import open_store
from sichter.store.hashset_models import HashMatch
from sichter.store.models import CaseLog, Derivative, Occurrence
from sichter.web.services.decisions import decide

pytestmark = pytest.mark.slow  # two ingests with a video each: ~20 s per database


def _jpeg(path: Path, image: object) -> None:
    path.write_bytes(encode(image, "JPEG", quality=90))  # type: ignore[arg-type]


def _ids(sessions: sessionmaker[Session], case: str) -> dict[str, int]:
    with sessions() as s:
        case_id = get_case(s, case).id
        return {Path(p).name: cid for p, cid in s.execute(
            select(Occurrence.path, Occurrence.content_id).where(Occurrence.case_id == case_id))}


def _decide(sessions: sessionmaker[Session], case: str, content_id: int, category: str,
            seen_version: int = 0) -> None:
    with sessions.begin() as s:
        decide(s, get_case(s, case), "reviewer-a", {content_id: seen_version}, category,
               expand_stacks=False)


def test_decided_material_is_known_in_the_next_case(tmp_path: Path, home: Path, db_url: str) -> None:
    settings: Settings = load_settings(home, database_url=db_url, workers=1, user="tester",
                                       skip_stages=["ai"])
    sessions = open_store(db_url)
    master = load_master_key(settings.home, settings.master_key)
    video = write_video([("astronaut", 3.0), ("coffee", 3.0)], fmt="mp4")

    one = tmp_path / "one"
    one.mkdir()
    _jpeg(one / "coffee.jpg", sample("coffee"))
    _jpeg(one / "astronaut.jpg", sample("astronaut"))
    _jpeg(one / "camera.jpg", sample("camera"))  # never decided: stays out of the set
    (one / "clip.mp4").write_bytes(video)
    create_case(sessions, master, "one", None, "tester")
    ingest(settings, sessions, "one", [one])
    ids = _ids(sessions, "one")
    _decide(sessions, "one", ids["coffee.jpg"], "4")
    _decide(sessions, "one", ids["astronaut.jpg"], "0")
    _decide(sessions, "one", ids["clip.mp4"], "2")

    result = set_from_case(sessions, master, "one", "tester")
    assert (result.name, result.scheme, result.decisions) == ("case-one", "vics-us", 3)
    assert (result.added, result.robust, result.vpdq, result.skipped) == (3, 2, 1, [])
    info = {h.name: h for h in list_sets(sessions)}["case-one"]
    assert (info.entries, info.format, info.imported_by) == (3, "case", "tester")
    again = set_from_case(sessions, master, "one", "tester")
    assert (again.added, again.updated, again.unchanged) == (0, 0, 3)  # idempotent

    # The set's features are sealed under the derived key, never in clear.
    entries = {e.extra["source"]["content_id"]: e for e in entries_of(sessions, "case-one")}
    coffee_entry = entries[ids["coffee.jpg"]]
    assert (coffee_entry.category, coffee_entry.series) == (4, "one")
    assert entries[ids["clip.mp4"]].extra["vpdq"] and "robust" not in entries[ids["clip.mp4"]].extra
    sealed = coffee_entry.extra["robust"]["sealed"]
    with sessions() as s:
        case_one = get_case(s, "one")
        stored = s.scalar(select(Derivative.data).where(
            Derivative.content_id == ids["coffee.jpg"], Derivative.kind == DERIVATIVE_KIND))
        original = features_from_derivative(data_key(case_one, master), case_one.id,
                                            coffee_entry.sha256, stored)
        case_key = data_key(case_one, master)
    blob = base64.b64decode(sealed)
    assert original.descriptors[:4].tobytes() not in blob
    opened = LocalFeatures.from_bytes(open_features(hashset_key(master), coffee_entry.sha256,
                                                    "orb_ransac", sealed))
    assert (opened.descriptors == original.descriptors).all()
    for wrong in (master, case_key, hashset_key(bytes(32))):
        with pytest.raises(CryptoError):
            open_features(wrong, coffee_entry.sha256, "orb_ransac", sealed)
    with pytest.raises(CryptoError):  # bound to its entry: not movable onto another one
        open_features(hashset_key(master), entries[ids["astronaut.jpg"]].sha256, "orb_ransac", sealed)

    two = tmp_path / "two"
    two.mkdir()
    (two / "coffee-copy.jpg").write_bytes((one / "coffee.jpg").read_bytes())
    _jpeg(two / "coffee-shared.jpg", TRANSFORMS["watermark"](TRANSFORMS["crop5"](sample("coffee"))))
    _jpeg(two / "astronaut-mirror.jpg", TRANSFORMS["mirror"](sample("astronaut")))
    _jpeg(two / "rocket.jpg", sample("rocket"))
    _jpeg(two / "chelsea.jpg", sample("chelsea"))
    (two / "clip.mkv").write_bytes(reencode(video, "mkv", size=(128, 96)))
    create_case(sessions, master, "two", None, "tester")
    ingest(settings, sessions, "two", [two])
    ids2 = _ids(sessions, "two")

    with sessions() as s:
        case_two = get_case(s, "two").id
        status = known_status(s, case_two, list(ids2.values()))
        matches = matches_of(s, case_two, list(ids2.values()))
        rows = {m.content_id: m for m in s.scalars(select(HashMatch).where(
            HashMatch.case_id == case_two, HashMatch.kind == "orb_ransac"))}

    def kinds(name: str) -> set[str]:
        return {m.kind for m in matches.get(ids2[name], [])}

    exact = kinds("coffee-copy.jpg")
    assert {"sha256", "sha1", "md5"} <= exact and "orb_ransac" not in exact  # never re-checked
    assert kinds("coffee-shared.jpg") == {"orb_ransac"}
    shared = matches[ids2["coffee-shared.jpg"]][0]
    assert (shared.hashset, shared.category, shared.set_scheme, shared.case_category,
            shared.series) == ("case-one", 4, "vics-us", "4", "one")
    assert status[ids2["coffee-shared.jpg"]].status == "known"
    assert status[ids2["coffee-shared.jpg"]].category == "4"
    row = rows[ids2["coffee-shared.jpg"]]
    assert row.details["inliers"] >= row.details["min_inliers"] == 20
    assert row.details["kind"] == "orb_ransac" and 0 < row.score <= 1
    assert kinds("astronaut-mirror.jpg") == {"pdq_dihedral"}
    assert status[ids2["astronaut-mirror.jpg"]].category == "0"
    assert kinds("clip.mkv") == {"vpdq"}
    assert (status[ids2["clip.mkv"]].status, status[ids2["clip.mkv"]].category) == ("known", "2")
    for unrelated in ("rocket.jpg", "chelsea.jpg"):
        assert kinds(unrelated) == set() and status[ids2[unrelated]].status == "unknown"

    # A changed decision flows back too; `sichter match` then gives the new category.
    _decide(sessions, "one", ids["coffee.jpg"], "3", seen_version=1)
    changed = set_from_case(sessions, master, "one", "tester")
    assert (changed.added, changed.updated) == (0, 1)
    match_case(sessions, case_two, "tester", settings=settings)
    with sessions() as s:
        after = known_status(s, case_two, [ids2["coffee-shared.jpg"]])[ids2["coffee-shared.jpg"]]
    assert (after.status, after.category) == ("known", "3")
    with sessions() as s:
        logged = s.scalars(select(CaseLog.details).where(CaseLog.case_id == case_two,
                                                         CaseLog.action == "match")).all()
    assert logged[-1]["thresholds"]["orb_ransac"]["min_inliers"] == 20
    assert logged[-1]["thresholds"]["vpdq"]["query_pct"] == 80.0
