"""score_image on benign photos: people are found as adults, textures have no person and
a low explicit score, people rank above textures. The detector matches NudeNet's own."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from sichter.classify.stage import score_image
from sichter.demo.photos import sample
from sichter.pipeline.analyse import AnalysisSettings
from sichter.triage.priority import FaceScore, Known, Scores, prioritise

SETTINGS = AnalysisSettings(case_id=1, data_key=b"\0" * 32)
TEXTURES = ["brick", "grass", "gravel", "moon", "coins", "rocket"]


def analysis_image(name: str) -> Image.Image:
    im = sample(name)
    im.thumbnail((512, 512))
    return im


@pytest.fixture(scope="module")
def scored() -> dict[str, dict]:
    return {n: score_image(analysis_image(n), SETTINGS) for n in ["astronaut", *TEXTURES]}


def test_astronaut_is_one_adult_face(scored: dict[str, dict]) -> None:
    result = scored["astronaut"]
    assert result["face_count"] == 1
    face = result["faces"][0]
    assert face["age_band"] == "adult"
    assert face["age_low"] >= 18 and face["age_low"] <= face["age"] <= face["age_high"]
    assert result["youngest_band"] == "adult"
    assert result["explicit"] < 0.2
    assert set(result["models"]) >= {"nudenet", "age", "landmarks5"}


@pytest.mark.parametrize("name", TEXTURES)
def test_textures_and_objects_have_no_person_and_low_explicit(scored: dict[str, dict],
                                                              name: str) -> None:
    result = scored[name]
    assert result["faces"] == [] and result["youngest_band"] == "none"
    assert result["explicit"] < 0.2
    assert "age" not in result["models"]  # only images with a face reach the age stage


def test_person_photos_rank_above_textures(scored: dict[str, dict]) -> None:
    def priority(r: dict) -> int:
        faces = [FaceScore(f["age"], f["age_low"], f["age_high"], f["age_band"])
                 for f in r["faces"]]
        return prioritise(Scores(r["explicit"], r["classes"], faces, r["youngest_band"]),
                          Known(), "vics-us").priority

    person = priority(scored["astronaut"])
    assert all(person > priority(scored[n]) for n in TEXTURES)


def test_embeddings_only_when_asked_and_only_as_derivative() -> None:
    without = score_image(analysis_image("astronaut"), SETTINGS)
    assert "_derivatives" not in without
    kept = score_image(analysis_image("astronaut"), SETTINGS, keep_embeddings=True)
    mime, blob = kept["_derivatives"]["face-embeddings"]
    vector = np.frombuffer(blob, dtype="<f4")
    assert vector.shape == (128,) and np.isfinite(vector).all()
    assert kept["embeddings"] == {"kind": "face-embeddings", "count": 1, "dimensions": 128}


@pytest.fixture(scope="module")
def nudenet_detector() -> object:
    from nudenet import NudeDetector

    return NudeDetector()


SQUARE = AnalysisSettings(case_id=1, data_key=b"\0" * 32,  # NudeNet's own input and model
                          options={"triage": {"detector_letterbox": "square",
                                              "detector_precision": "fp32"}})


@pytest.mark.parametrize("name", ["astronaut", "camera", "coffee", "chelsea"])
def test_square_letterbox_matches_nudenets_own_detector_on_the_same_pixels(
        name: str, nudenet_detector: object) -> None:
    im = analysis_image(name)
    result = score_image(im, SQUARE)
    assert result["detector_input"] == "square"
    ours = result["detections"]
    theirs = nudenet_detector.detect(  # type: ignore[attr-defined]
        np.ascontiguousarray(np.asarray(im)[:, :, ::-1]))
    assert [d["class"] for d in ours] == [d["class"] for d in theirs]
    for a, b in zip(ours, theirs, strict=True):
        assert a["score"] == pytest.approx(b["score"], abs=1e-3)
        box = [a["box"][0] * im.width, a["box"][1] * im.height,
               a["box"][2] * im.width, a["box"][3] * im.height]
        assert box == pytest.approx(b["box"], abs=2)


def test_tiny_and_flat_images_score_without_error() -> None:
    for im in (Image.new("RGB", (1, 1)), Image.new("RGB", (600, 3), (200, 180, 160))):
        result = score_image(im, SETTINGS)
        assert result["explicit"] == 0.0 and result["faces"] == []


@pytest.mark.parametrize("orientation", [6, 8, 3])
@pytest.mark.parametrize("fmt", ["JPEG", "TIFF", "PNG", "WEBP"])
def test_a_photo_stored_on_its_side_is_scored_as_shown(orientation: int, fmt: str) -> None:
    """Every format that carries EXIF is turned once: Pillow turns TIFFs itself on load."""
    import io

    from sichter.classify.stage import image_stage
    from sichter.signals.image import decode

    upright = sample("astronaut").convert("RGB")
    # What a camera writes: the sensor's pixels as they lie, and the turn a viewer must make.
    stored = {6: upright.rotate(90, expand=True), 8: upright.rotate(-90, expand=True),
              3: upright.rotate(180)}[orientation]
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = io.BytesIO()
    stored.save(data, fmt, quality=92, exif=exif)
    as_shown = io.BytesIO()
    upright.save(as_shown, "JPEG", quality=92)

    turned = image_stage(decode(data.getvalue(), 512, 10**9), SETTINGS)
    reference = image_stage(decode(as_shown.getvalue(), 512, 10**9), SETTINGS)
    assert "orientation" not in reference
    assert turned["face_count"] == reference["face_count"] == 1
    assert turned["youngest_band"] == reference["youngest_band"] == "adult"
    # Boxes are fractions of the picture as shown, so they fit the browser's view of it.
    a, b = turned["faces"][0]["box"], reference["faces"][0]["box"]
    assert max(abs(x - y) for x, y in zip(a, b, strict=True)) < 0.03
    assert abs(turned["explicit"] - reference["explicit"]) < 0.05


@pytest.mark.parametrize("side", [16, 24])
def test_a_thumbnail_sized_face_gets_no_confident_age(side: int) -> None:
    from sichter.classify.triage_run import scores_of
    from sichter.triage.config import TriageSettings

    tiny = sample("astronaut").convert("RGB").resize((side, side))
    result = score_image(tiny, SETTINGS)
    assert result["faces"], "the detector finds the astronaut's face even this small"
    for face in result["faces"]:
        assert face["px"] < 32 and face["age_band"] == "uncertain"
    assert result["youngest_band"] == "uncertain"
    # Rescoring keeps the rule, and the reviewer is told why.
    judgment = prioritise(scores_of({"ai": result}, TriageSettings()), Known("unknown"), "vics-us",
                          TriageSettings().policy())
    assert judgment.tier == "minor_not_explicit"
    assert any("too small to estimate an age" in r["text"] for r in judgment.reasons)


def test_every_age_interval_holds_its_own_estimate() -> None:
    from PIL import ImageFilter

    for image in (analysis_image("astronaut"),
                  analysis_image("astronaut").filter(ImageFilter.GaussianBlur(2))):
        for face in score_image(image, SETTINGS)["faces"]:
            assert face["age_low"] <= face["age"] <= face["age_high"]
            assert face["px"] >= 32 and face["age_band"] == "adult"
