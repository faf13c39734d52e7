"""Robust matching (ORB + RANSAC) on benign photos: cropped, watermarked, rotated, mirrored
and resized copies find their original; unrelated images find nothing; the features and the
index survive serialisation, and damaged bytes are a clear error."""

from __future__ import annotations

import io

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from sichter.demo.photos import TRANSFORMS, sample
from sichter.errors import CorruptData
from sichter.matching.robust import NAME, LocalFeatures, extract, known_variants
from sichter.matching.robust_index import RobustConfig, RobustIndex

KNOWN = ["astronaut", "coffee", "chelsea", "rocket", "camera", "motorcycle_left", "brick"]
UNRELATED = ["moon", "coins", "page", "hubble_deep_field", "clock_motion", "cell"]


def analysis(im: Image.Image) -> np.ndarray:
    """What ingest analyses: at most 512 px on the long side."""
    out = im.convert("RGB")
    out.thumbnail((512, 512), Image.Resampling.BILINEAR)
    return np.asarray(out)


@pytest.fixture(scope="module")
def index() -> RobustIndex:
    return RobustIndex.build((name, f) for name in KNOWN
                             for f in known_variants(analysis(sample(name))))


def _best(index: RobustIndex, im: Image.Image) -> str | None:
    found = index.query(extract(analysis(im)))
    return found[0].key if found else None


@pytest.mark.parametrize("transform", ["crop5", "watermark", "rot90", "mirror", "half",
                                       "upscale3", "gray"])
@pytest.mark.parametrize("name", KNOWN)
def test_transformed_copy_finds_its_original(index: RobustIndex, name: str,
                                             transform: str) -> None:
    assert _best(index, TRANSFORMS[transform](sample(name))) == name


@pytest.mark.parametrize("name", ["astronaut", "coffee", "rocket"])
def test_heavy_crop_mirrored_and_watermarked_still_matches(index: RobustIndex,
                                                           name: str) -> None:
    """What PDQ and its dihedral variants cannot find: half the picture, flipped, with text."""
    im = sample(name)
    w, h = im.size
    crop = im.crop((w // 5, h // 6, w // 5 + w // 2, h // 6 + h * 2 // 3))
    edited = TRANSFORMS["watermark"](TRANSFORMS["mirror"](crop))
    match = index.query(extract(analysis(edited)))
    assert match and match[0].key == name and match[0].kind == NAME == "orb_ransac"
    assert match[0].inliers >= index.config.min_inliers and 0 < match[0].score <= 1


def test_jpeg_quality_35_copy_matches(index: RobustIndex) -> None:
    buf = io.BytesIO()
    sample("chelsea").save(buf, format="JPEG", quality=35)
    assert _best(index, Image.open(io.BytesIO(buf.getvalue()))) == "chelsea"


@pytest.mark.parametrize("name", UNRELATED)
def test_unrelated_photos_are_not_matched(index: RobustIndex, name: str) -> None:
    for transform in ("original", "crop5", "rot90"):
        assert index.query(extract(analysis(TRANSFORMS[transform](sample(name))))) == []


def test_synthetic_noise_text_and_flat_images_are_not_matched(index: RobustIndex) -> None:
    rng = np.random.default_rng(7)
    noise = Image.fromarray(rng.integers(0, 256, (300, 400, 3), dtype=np.uint8))
    flat = Image.new("RGB", (200, 100), (90, 120, 200))
    page = TRANSFORMS["watermark"](Image.new("RGB", (400, 300), "black"))
    for im in (noise, flat, page):
        assert index.query(extract(analysis(im))) == []


def test_flat_image_has_no_keypoints_and_is_never_matched(index: RobustIndex) -> None:
    features = extract(np.full((64, 64, 3), 128, np.uint8))
    assert len(features) == 0
    assert index.query(features) == []


@pytest.mark.parametrize("shape", [(1, 20000), (20000, 1), (1, 1), (12, 900), (30, 512)])
def test_images_too_thin_for_local_features_have_none(shape: tuple[int, int]) -> None:
    strip = np.random.default_rng(1).integers(0, 256, (*shape, 3), dtype=np.uint8)
    assert len(extract(strip)) == 0


def test_features_round_trip_through_bytes() -> None:
    features = extract(analysis(sample("astronaut")))
    back = LocalFeatures.from_bytes(features.to_bytes())
    assert len(features) > 300
    assert (back.width, back.height, back.version) == (features.width, features.height, 1)
    assert np.array_equal(back.descriptors, features.descriptors)
    assert np.abs(back.points - features.points).max() <= 0.125  # quarter-pixel storage
    assert len(features.to_bytes()) == 13 + 36 * len(features)


def test_index_round_trip_gives_the_same_matches(index: RobustIndex) -> None:
    copy = RobustIndex.from_bytes(index.to_bytes())
    assert len(copy) == len(index) == len(KNOWN)
    assert copy.config == index.config
    query = extract(analysis(TRANSFORMS["crop5"](sample("coffee"))))
    before, after = index.query(query, top_k=3), copy.query(query, top_k=3)
    assert [m.key for m in after] == [m.key for m in before] == ["coffee"]
    # stored points are rounded to quarter pixels, which may move a pair across a cell edge
    assert abs(after[0].inliers - before[0].inliers) <= 3


def test_large_index_uses_clustered_search_and_still_finds_crops() -> None:
    """Past 20 k descriptors the index switches to an inverted file; recall must hold."""
    names = KNOWN + ["horse", "grass", "gravel", "ihc", "logo", "color", "text"]
    big = RobustIndex.build((n, f) for n in names for f in known_variants(analysis(sample(n))))
    big.query(extract(analysis(sample("camera"))))
    assert type(big._faiss()).__name__ == "IndexBinaryIVF"
    for name in ("astronaut", "ihc", "horse"):
        for transform in ("crop5", "watermark"):
            assert _best(big, TRANSFORMS[transform](sample(name))) == name


@pytest.mark.parametrize("garbage", [b"", b"garbage", b"SLF\x01\x01" + b"\x00" * 20,
                                     b"\x89PNG\r\n\x1a\n" + b"\x00" * 40])
def test_garbage_features_are_a_clear_error(garbage: bytes) -> None:
    with pytest.raises(CorruptData, match="local features"):
        LocalFeatures.from_bytes(garbage)


def test_truncated_features_and_index_are_a_clear_error(index: RobustIndex) -> None:
    raw = extract(analysis(sample("coffee"))).to_bytes()
    with pytest.raises(CorruptData, match="truncated"):
        LocalFeatures.from_bytes(raw[:-5])
    blob = index.to_bytes()
    with pytest.raises(CorruptData, match="robust index"):
        RobustIndex.from_bytes(blob[:-100])
    with pytest.raises(CorruptData, match="robust index"):
        RobustIndex.from_bytes(b"not an index at all")


def test_array_that_is_not_an_image_is_a_clear_error() -> None:
    with pytest.raises(CorruptData, match="shape"):
        extract(np.zeros((4, 4, 2), np.uint8))


def test_thresholds_are_recorded_with_the_kind() -> None:
    recorded = RobustConfig().as_dict()
    assert recorded["kind"] == "orb_ransac" and recorded["min_inliers"] == 20


@settings(max_examples=60, deadline=None)
@given(count=st.integers(0, 50), width=st.integers(1, 512), height=st.integers(1, 512),
       seed=st.integers(0, 2**32 - 1))
def test_any_features_round_trip(count: int, width: int, height: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    points = (rng.integers(0, 4 * 512, (count, 2)) / 4).astype(np.float32)
    features = LocalFeatures(width, height, points,
                             rng.integers(0, 256, (count, 32), dtype=np.uint8))
    back = LocalFeatures.from_bytes(features.to_bytes())
    assert np.array_equal(back.points, features.points)
    assert np.array_equal(back.descriptors, features.descriptors)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes_never_crash_the_readers(data: bytes) -> None:
    for reader in (LocalFeatures.from_bytes, RobustIndex.from_bytes):
        try:
            reader(data)
        except CorruptData as exc:
            assert str(exc)  # a reason a person can read
