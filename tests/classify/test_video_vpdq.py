"""vPDQ: Sichter's in-pass hashes equal the reference package's, and the match rule."""

from __future__ import annotations

import io
import random
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sichter.classify.video_config import VideoSettings
from sichter.classify.video_frames import scan
from sichter.classify.video_synth import reencode, write_video
from sichter.errors import CorruptData
from sichter.signals import vpdq
from sichter.signals.vpdq import VpdqFeature


@cache
def _video(fmt: str, a: str = "astronaut", b: str = "coffee") -> bytes:
    return write_video([(a, 3.0), (b, 3.0)], fmt=fmt)


def _hashes(data: bytes) -> list[VpdqFeature]:
    return scan(lambda: io.BytesIO(data), VideoSettings()).vpdq


@pytest.mark.parametrize("fmt", ["mp4", "h264"])
def test_hashes_equal_the_reference_vpdq_package(fmt: str, tmp_path: Path) -> None:
    path = tmp_path / f"clip.{fmt}.video"
    path.write_bytes(_video(fmt))
    assert _hashes(_video(fmt)) == vpdq.hash_file(path)


def test_video_matches_itself_and_a_reencoded_copy_not_another_video() -> None:
    original = _hashes(_video("mp4"))
    copy = _hashes(reencode(_video("mp4"), "h264", size=(128, 96)))
    other = _hashes(_video("mp4", "chelsea", "rocket"))
    assert vpdq.is_match(original, original)
    assert vpdq.compare(copy, original).query_pct == 100.0
    assert vpdq.is_match(copy, original) and vpdq.is_match(original, copy)
    assert not vpdq.is_match(other, original)
    assert vpdq.compare(other, original).query_pct < 20.0


def test_a_clip_matches_the_video_it_was_cut_from() -> None:
    clip = _hashes(write_video([("coffee", 3.0)], fmt="mkv"))
    full = _hashes(_video("mp4"))
    result = vpdq.compare(clip, full)
    assert result.is_match()
    assert result.compared_pct < 80.0  # the full video is only half in the clip


def _f(n: int, pdq_hex: str, quality: int = 100) -> VpdqFeature:
    return VpdqFeature(n, quality, pdq_hex, float(n))


ZERO = "0" * 64


def _flip(bits: int) -> str:
    return f"{(1 << bits) - 1:064x}"


def test_frame_distance_31_matches_and_32_does_not() -> None:
    assert vpdq.compare([_f(0, ZERO)], [_f(0, _flip(31))]).query_pct == 100.0
    assert vpdq.compare([_f(0, ZERO)], [_f(0, _flip(32))]).query_pct == 0.0


def test_80_percent_of_the_query_frames_must_match() -> None:
    rng = random.Random(5)
    query = [_f(i, rng.randbytes(32).hex()) for i in range(5)]  # random hashes: ~128 bits apart
    # four of five query frames are in the compared video; the fifth is not
    compared = query[:4] + [_f(9, rng.randbytes(32).hex())]
    assert vpdq.compare(query, compared).query_pct == 80.0
    assert vpdq.is_match(query, compared)
    assert not vpdq.is_match(query[2:], compared[:2])


def test_low_quality_frames_are_ignored_and_empty_never_matches() -> None:
    assert vpdq.compare([_f(0, ZERO, quality=49)], [_f(0, ZERO)]) == vpdq.VpdqMatch(0.0, 0.0)
    assert not vpdq.is_match([], [_f(0, ZERO)])
    # duplicates count once: two identical query frames and one other that misses -> 50 %
    query = [_f(0, ZERO), _f(1, ZERO), _f(2, "f" * 64)]
    assert vpdq.compare(query, [_f(0, ZERO)]).query_pct == 50.0


features = st.builds(VpdqFeature, st.integers(0, 10**7), st.integers(0, 100),
                     st.binary(min_size=32, max_size=32).map(bytes.hex),
                     st.integers(0, 10**8).map(lambda ms: ms / 1000))


@given(st.lists(features, max_size=20))
def test_text_and_threatexchange_forms_round_trip(items: list[VpdqFeature]) -> None:
    assert vpdq.loads(vpdq.dumps(items)) == items
    back = vpdq.from_threatexchange(vpdq.to_threatexchange(items))
    assert [(f.pdq_hex, f.quality, f.timestamp) for f in back] == \
        [(f.pdq_hex, f.quality, f.timestamp) for f in items]


@given(st.text(max_size=120))
def test_any_text_line_parses_or_is_a_corrupt_data_error(line: str) -> None:
    try:
        feature = VpdqFeature.parse(line)
    except CorruptData:
        return
    assert len(feature.pdq_hex) == 64 and 0 <= feature.quality <= 100


@pytest.mark.parametrize("bad", ["1,2,3", "0,101," + ZERO + ",0.0", "0,50,xyz,0.0",
                                 "a,50," + ZERO + ",0.0"])
def test_malformed_lines_say_why(bad: str) -> None:
    with pytest.raises(CorruptData, match="vPDQ"):
        VpdqFeature.parse(bad)
