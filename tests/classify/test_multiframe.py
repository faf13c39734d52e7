"""Animated images and multi-page TIFFs: what is on a later frame or page is scored too,
not only the first (a blank first frame must not hide the rest)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from sichter.classify.stage import image_stage
from sichter.demo.photos import sample
from sichter.pipeline.analyse import AnalysisSettings
from sichter.signals.image import MAX_MORE_FRAMES, decode
from sichter.web.services.items import boxes_in

SETTINGS = AnalysisSettings(case_id=1, data_key=bytes(32))


def astronaut() -> Image.Image:
    im = sample("astronaut").convert("RGB")
    im.thumbnail((400, 400))
    return im


def frames_file(frames: list[Image.Image], fmt: str) -> bytes:
    out = io.BytesIO()
    frames[0].save(out, fmt, save_all=True, append_images=frames[1:])
    return out.getvalue()


def blank(size: tuple[int, int] = (400, 400), value: int = 255) -> Image.Image:
    return Image.new("RGB", size, (value, value, value))


@pytest.mark.parametrize("fmt", ["GIF", "WEBP", "PNG", "TIFF"])
def test_a_person_on_a_later_frame_is_found(fmt: str) -> None:
    data = frames_file([blank(), astronaut(), blank(value=0)], fmt)
    decoded = decode(data, 512, 10**9)
    assert decoded.frames_total == 3 and [i for i, _ in decoded.more_frames] == [1, 2]
    result = image_stage(decoded, SETTINGS)
    assert result["face_count"] == 1 and result["faces"][0]["frame"] == 1
    assert result["youngest_band"] == "adult"
    assert [f["frame"] for f in result["image_frames"]] == [0, 1, 2]
    assert result["frames_total"] == 3
    assert result["embeddings"]["count"] == 1  # the face's embedding, sealed with it


def test_long_animations_are_sampled_evenly_up_to_the_last_frame() -> None:
    frames = [blank((64, 48), value=v) for v in range(0, 250, 5)]  # 50 frames
    decoded = decode(frames_file(frames, "GIF"), 512, 10**9)
    indices = [i for i, _ in decoded.more_frames]
    assert decoded.frames_total == 50 and len(indices) == MAX_MORE_FRAMES
    assert indices[0] == 1 and indices[-1] == 49 and indices == sorted(set(indices))
    # Each sampled frame is that frame's picture, not the first one again.
    means = [float(p.mean()) for _, p in decoded.more_frames]
    assert means == sorted(means) and means[-1] > means[0] + 100


def test_a_single_frame_image_has_no_more_frames() -> None:
    decoded = decode(frames_file([astronaut()], "GIF"), 512, 10**9)
    assert decoded.frames_total == 1 and decoded.more_frames == ()
    assert "image_frames" not in image_stage(decoded, SETTINGS)


def test_the_item_view_draws_only_the_shown_frames_boxes() -> None:
    analysis = {"ai": {"faces": [{"box": [0.1, 0.1, 0.2, 0.2], "age": 30, "frame": 0},
                                 {"box": [0.5, 0.5, 0.2, 0.2], "age": 9, "frame": 4}]},
                "video": {"faces": [{"box": [0.3, 0.3, 0.1, 0.1], "age": 40, "t": 12.0}]}}
    assert [(b.x, b.y) for b in boxes_in(analysis, 100, 100)] == [(0.1, 0.1)]


@pytest.mark.slow
def test_an_animated_gif_is_exported_with_its_frames_and_ranked_by_them(
        tmp_path: Path, settings) -> None:  # noqa: ANN001
    from sichter.pipeline.ingest import ingest
    from sichter.report.export import records
    from sichter.store.cases import create_case
    from sichter.store.crypto import load_master_key
    from sichter.store.db import open_store

    evidence = tmp_path / "evidence"
    evidence.mkdir()
    (evidence / "person_later.gif").write_bytes(frames_file([blank(), astronaut()], "GIF"))
    (evidence / "blank.gif").write_bytes(frames_file([blank(), blank(value=0)], "GIF"))
    (evidence / "notes.jpg").write_text("a text file with an image's name\n" * 20)
    noise = np.random.default_rng(1).integers(0, 256, (300, 300, 3), dtype=np.uint8)
    (evidence / "pages.tif").write_bytes(
        frames_file([Image.fromarray(noise), blank((300, 300)), astronaut()], "TIFF"))
    sessions = open_store(settings.effective_database_url)
    create_case(sessions, load_master_key(settings.home, settings.master_key), "gif", None,
                "tester")
    ingest(settings.model_copy(update={"workers": 1}), sessions, "gif", [evidence])
    rows = {r["path"].rsplit("/", 1)[-1]: r for r in records(sessions, "gif")}
    later = rows["person_later.gif"]["scores"]
    assert later["frames_total"] == 2 and later["faces"][0]["frame"] == 1
    assert later["youngest_band"] == "adult"
    assert rows["pages.tif"]["scores"]["faces"][0]["frame"] == 2
    assert rows["blank.gif"]["scores"]["youngest_band"] == "none"
    assert rows["person_later.gif"]["priority"] > rows["blank.gif"]["priority"]
    # Not a picture at all: below every photo, and said so (not 'unanalysed', 30).
    assert rows["notes.jpg"]["priority"] == 0
    assert rows["notes.jpg"]["reasons"][0]["reason"] == "not_media"


def test_one_frame_that_fails_costs_only_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    from sichter.classify import stage

    real, calls = stage.score_image, []

    def flaky(image, settings, **kw):  # noqa: ANN001, ANN003, ANN202
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("model rejected the input")
        return real(image, settings, **kw)

    monkeypatch.setattr(stage, "score_image", flaky)
    decoded = decode(frames_file([astronaut(), blank(), astronaut()], "GIF"), 512, 10**9)
    result = image_stage(decoded, SETTINGS)
    assert "error" not in result and result["youngest_band"] == "adult"
    assert result["image_frames"][1] == {"frame": 1, "error": "AI scoring failed: model "
                                                              "rejected the input"}
    assert sorted({f["frame"] for f in result["faces"]}) == [0, 2]
    assert result["embeddings"]["count"] == len(result["faces"])


def test_later_frames_are_turned_like_the_first() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6
    stored = astronaut().rotate(90, expand=True)
    wide = stored.resize((stored.width, stored.height - 40))  # not square: turning shows
    out = io.BytesIO()
    darker = [wide.point(lambda v, k=k: int(v * k)) for k in (0.9, 0.8)]  # frames that differ
    wide.save(out, "WEBP", save_all=True, append_images=darker, exif=exif)
    decoded = decode(out.getvalue(), 512, 10**9)
    first = image_stage(decoded, SETTINGS)
    assert {p.shape[:2] for _, p in decoded.more_frames} == {(wide.width, wide.height)}
    assert first["youngest_band"] == "adult" and first["face_count"] == 3


def test_a_phone_jpeg_with_a_second_image_is_one_picture() -> None:
    out = io.BytesIO()
    astronaut().save(out, "MPO", save_all=True, append_images=[blank((100, 100), 128)])
    decoded = decode(out.getvalue(), 512, 10**9)
    assert decoded.frames_total == 1 and decoded.more_frames == ()


def test_a_damaged_later_page_leaves_the_first_page_scored() -> None:
    data = bytearray(frames_file([astronaut(), blank()], "TIFF"))
    # Page 2's compression tag (259, SHORT, 1) set to an unknown scheme.
    needle = (259).to_bytes(2, "little") + (3).to_bytes(2, "little") + (1).to_bytes(4, "little")
    second = data.index(needle, data.index(needle) + 1)
    data[second + 8:second + 10] = (12345).to_bytes(2, "little")
    decoded = decode(bytes(data), 512, 10**9)
    assert decoded.more_frames == ()
    assert any("frame" in p and "cannot be" in p for p in decoded.problems), decoded.problems
    assert image_stage(decoded, SETTINGS)["youngest_band"] == "adult"


def test_with_many_faces_the_youngest_are_kept_and_decide_the_band() -> None:
    from sichter.classify.stage import MAX_FACES, with_frames

    def scored(bands: list[str]) -> dict:
        faces = [{"box": [0, 0, 0.1, 0.1], "age": 8.0 if b == "under14" else 30.0,
                  "age_low": 6, "age_high": 10, "age_band": b} for b in bands]
        return {"explicit": 0.0, "classes": {"FACE_FEMALE": 0.5}, "detections": [],
                "faces": faces, "face_count": len(faces), "youngest_band": bands[0],
                "models": {"nudenet": "x"},
                "_derivatives": {"face-embeddings": ("x", bytes(512) * len(faces))}}

    out = with_frames(scored(["adult"] * MAX_FACES), [(1, scored(["under14"]))], 2)
    assert out["youngest_band"] == "under14" and out["face_count"] == MAX_FACES
    assert out["faces"][0]["age_band"] == "under14" and out["faces"][0]["frame"] == 1
    assert out["embeddings"]["count"] == MAX_FACES


def test_a_later_page_larger_than_the_pixel_limit_is_not_decoded() -> None:
    pages = [astronaut(), blank((3000, 3000))]  # 9 MP page behind a 0.16 MP first page
    decoded = decode(frames_file(pages, "TIFF"), 512, 5_000_000)
    assert decoded.more_frames == ()
    assert any("3000×3000 px exceeds the limit of 5 MP" in p for p in decoded.problems)
    assert image_stage(decoded, SETTINGS)["youngest_band"] == "adult"
