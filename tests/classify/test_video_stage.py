"""The video stage: per-frame scores and their maximum, contact sheet sealed at rest, errors
recorded per video while the ingest goes on."""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from sichter.classify.video import aggregate, analyse_video, youngest_band
from sichter.classify.video_config import VideoSettings
from sichter.classify.video_sheet import contact_sheet, timecode
from sichter.classify.video_synth import write_video
from sichter.demo.photos import encode, sample
from sichter.errors import CorruptData
from sichter.pipeline.analyse import AnalysisSettings
from sichter.pipeline.ingest import ingest
from sichter.report.export import records
from sichter.settings import Settings
from sichter.signals.vpdq import VpdqFeature
from sichter.store import cases
from sichter.store.crypto import derivative_context, load_master_key, open_sealed
from sichter.store.db import open_store
from sichter.store.models import Content, Derivative

JPEG_MAGIC = b"\xff\xd8\xff"
SETTINGS = AnalysisSettings(case_id=1, data_key=bytes(32))


@cache
def _video(fmt: str = "mp4") -> bytes:
    return write_video([("astronaut", 3.0), ("coffee", 3.0)], fmt=fmt)


class ScriptedScorer:
    """A stand-in for the photo scorer that returns prepared scores in call order."""

    def __init__(self, scores: list[tuple[float, str]]) -> None:
        self.scores = scores
        self.seen: list[tuple[int, int]] = []

    def __call__(self, image: Image.Image, settings: AnalysisSettings) -> dict[str, Any]:
        self.seen.append(image.size)
        explicit, band = self.scores[len(self.seen) - 1]
        if band == "fail":
            raise RuntimeError("model rejected the input")
        return {"explicit": explicit, "youngest_band": band, "classes": {"X": explicit},
                "faces": [], "models": {"stand-in": "1.0"}}


def test_video_score_is_the_frame_maximum_with_its_time() -> None:
    scorer = ScriptedScorer([(0.1, "none"), (0.2, "adult"), (0.9, "adult"), (0.3, "none")])
    out = analyse_video(lambda: io.BytesIO(_video()), SETTINGS, scorer,
                        VideoSettings(sample_seconds=2.0))
    assert [f["t"] for f in out["frames"]] == [0.0, 2.0, 3.0, 5.0]
    assert [f["explicit"] for f in out["frames"]] == [0.1, 0.2, 0.9, 0.3]
    assert (out["explicit"], out["explicit_t"]) == (0.9, 3.0)
    assert (out["youngest_band"], out["youngest_band_t"]) == ("adult", 2.0)
    assert out["classes"] == {"X": 0.9}
    assert out["models"] == {"stand-in": "1.0"}
    assert all(max(size) <= 512 for size in scorer.seen)
    assert (out["width"], out["height"], out["fps"], out["codec"]) == (160, 120, 10.0, "mpeg4")
    assert out["duration"] == pytest.approx(6.0, abs=0.2) and out["complete"] is True
    assert out["settings"]["sample_seconds"] == 2.0


def test_a_frame_the_scorer_rejects_is_recorded_and_the_rest_still_count() -> None:
    scorer = ScriptedScorer([(0.1, "none"), (0.0, "fail"), (0.4, "14to17"), (0.2, "adult")])
    out = analyse_video(lambda: io.BytesIO(_video("mkv")), SETTINGS, scorer,
                        VideoSettings(sample_seconds=2.0))
    assert out["frames"][1]["error"] == "model rejected the input"
    assert out["frames"][1]["explicit"] is None
    assert (out["explicit"], out["explicit_t"], out["youngest_band"]) == (0.4, 3.0, "14to17")


def test_stage_returns_vpdq_and_a_jpeg_contact_sheet_for_the_core_to_seal() -> None:
    out = analyse_video(lambda: io.BytesIO(_video()), SETTINGS, ScriptedScorer([(0.0, "none")] * 9),
                        VideoSettings(sample_seconds=2.0, sheet_columns=2, sheet_tile_px=80))
    assert [VpdqFeature.parse(line).timestamp for line in out["vpdq"]] == [0, 1, 2, 3, 4, 5]
    mime, sheet = out["_derivatives"]["contact_sheet"]
    assert mime == "image/jpeg" and sheet.startswith(JPEG_MAGIC)
    grid = Image.open(io.BytesIO(sheet))
    assert grid.size == (2 * 80, 2 * (60 + 14))  # four keyframes, two per row, time labels


def test_youngest_band_orders_uncertain_before_adult() -> None:
    assert youngest_band(["adult", "none", None, "uncertain"]) == "uncertain"
    assert youngest_band(["adult", "14to17", "under14"]) == "under14"
    assert youngest_band([None, None]) is None
    assert aggregate([{"t": 0.0, "explicit": None, "youngest_band": None}]) == {
        "explicit": None, "explicit_t": None, "youngest_band": None, "youngest_band_t": None}


def test_ties_take_the_earliest_frame() -> None:
    frames = [{"t": 1.0, "explicit": 0.5, "youngest_band": "adult"},
              {"t": 4.0, "explicit": 0.5, "youngest_band": "adult"}]
    assert aggregate(frames)["explicit_t"] == 1.0 and aggregate(frames)["youngest_band_t"] == 1.0


def test_contact_sheet_labels_long_times_with_hours() -> None:
    assert timecode(3725.25) == "1:02:05.2"
    assert timecode(65.0) == "1:05.0"
    sheet = contact_sheet([(0.0, Image.new("RGB", (40, 20)))], columns=4, tile_px=40)
    assert Image.open(io.BytesIO(sheet)).size == (40, 20 + 14)


def test_corrupt_video_raises_an_evidence_error_with_a_reason() -> None:
    data = _video()
    with pytest.raises(CorruptData, match="cannot be opened"):
        analyse_video(lambda: io.BytesIO(data[:3000]), SETTINGS, ScriptedScorer([]))


# --- through the ingest, on SQLite and PostgreSQL -------------------------------------------

@pytest.fixture
def store(settings: Settings) -> sessionmaker[Session]:
    sessions = open_store(settings.effective_database_url)
    cases.create_case(sessions, load_master_key(settings.home, settings.master_key), "v1", "video",
                      "tester")
    return sessions


@pytest.fixture
def video_evidence(tmp_path: Path) -> Path:
    root = tmp_path / "evidence"
    root.mkdir()
    (root / "clip.mp4").write_bytes(_video("mp4"))
    (root / "clip.webm").write_bytes(_video("webm"))
    (root / "broken.mp4").write_bytes(_video("mp4")[:5000])
    webm = _video("webm")
    (root / "half.webm").write_bytes(webm[: len(webm) // 2])  # opens, ends early
    (root / "photo.jpg").write_bytes(encode(sample("chelsea"), "JPEG"))
    return root


@pytest.mark.slow
def test_ingest_scores_videos_seals_sheets_and_survives_a_broken_one(
        settings: Settings, store: sessionmaker[Session], video_evidence: Path,
        plaintext_image_in: Callable[[bytes], bytes | None]) -> None:
    configured = settings.model_copy(update={"video": VideoSettings(sample_seconds=2.0)})
    ingest(configured, store, "v1", [video_evidence])
    rows = {r["path"].split("/")[-1]: r for r in records(store, "v1")}
    assert set(rows) == {"clip.mp4", "clip.webm", "broken.mp4", "half.webm", "photo.jpg"}
    assert rows["photo.jpg"]["media_type"] == "image" and rows["photo.jpg"]["width"] == 451
    assert (rows["clip.webm"]["width"], rows["clip.webm"]["height"]) == (160, 120)
    assert "video: video cannot be opened" in rows["broken.mp4"]["error"]
    assert rows["clip.mp4"]["error"] is None
    exported = rows["clip.mp4"]["scores"]["frames"]
    assert [f["t"] for f in exported] == [0.0, 2.0, 3.0, 5.0]
    assert set(exported[0]) == {"t", "explicit", "youngest_band"}
    assert rows["clip.mp4"]["frames"] == exported and "frames" not in rows["photo.jpg"]
    # Whether the whole video was read, and where its maxima are, are in the export too.
    assert rows["clip.mp4"]["scores"]["complete"] is True
    assert rows["clip.mp4"]["scores"]["explicit_t"] in [f["t"] for f in exported]
    half = rows["half.webm"]["scores"]
    assert half["complete"] is False and half["incomplete_reason"]
    assert len(half["frames"]) < len(exported)
    assert any(r["reason"] == "incomplete" and "read only in part" in r["text"]
               for r in rows["half.webm"]["reasons"])
    assert not any(r["reason"] == "incomplete" for r in rows["clip.mp4"]["reasons"])
    with store() as s:
        by_sha = {c.sha256: c for c in s.scalars(select(Content))}
        broken = by_sha[rows["broken.mp4"]["sha256"]].analysis["video"]
        assert "cannot be opened" in broken["error"]
        for name in ("clip.mp4", "clip.webm"):
            content = by_sha[rows[name]["sha256"]]
            facts = content.analysis["video"]
            assert [f["t"] for f in facts["frames"]] == [0.0, 2.0, 3.0, 5.0]
            assert facts["explicit"] is not None and facts["models"]  # the real photo scorer
            assert facts["explicit"] < 0.5  # benign photos
            assert len(facts["vpdq"]) == 6
            sheet = s.scalars(select(Derivative).where(Derivative.content_id == content.id,
                                                       Derivative.kind == "contact_sheet")).one()
            assert not sheet.data.startswith(JPEG_MAGIC)
            key = cases.data_key(s.get_one(cases.Case, content.case_id),
                                 load_master_key(settings.home, settings.master_key))
            plain = open_sealed(key, sheet.data, derivative_context(content.case_id,
                                                                    content.sha256,
                                                                    "contact_sheet"))
            assert plain.startswith(JPEG_MAGIC) and Image.open(io.BytesIO(plain)).width > 0
        assert all(plaintext_image_in(d) is None for d in s.scalars(select(Derivative.data)))
    if settings.effective_database_url.startswith("sqlite"):
        db_file = Path(settings.effective_database_url.removeprefix("sqlite:///"))
        for path in db_file.parent.glob(db_file.name + "*"):
            assert plaintext_image_in(path.read_bytes()) is None, path
