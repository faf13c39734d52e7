"""Keyframe choice in one decoding pass: scene cuts, uniform sampling, caps, budget, damage."""

from __future__ import annotations

import io
import struct
from collections.abc import Callable
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from sichter.classify.video_config import VideoSettings
from sichter.classify.video_frames import VideoScan, scan
from sichter.classify.video_synth import write_video
from sichter.errors import CorruptData, LimitExceeded
from sichter.settings import load_settings


@cache
def _video(fmt: str, scenes: tuple[tuple[str, float], ...] = (("astronaut", 3.0), ("coffee", 3.0)),
           fps: int = 10) -> bytes:
    return write_video(list(scenes), fmt=fmt, fps=fps)


def _scan(data: bytes, **cfg: object) -> VideoScan:
    return scan(lambda: io.BytesIO(data), VideoSettings.model_validate(cfg))


@pytest.mark.parametrize("fmt", ["mp4", "mkv", "webm", "h264"])
def test_scene_cut_gives_a_keyframe_at_the_cut(fmt: str) -> None:
    result = _scan(_video(fmt), sample_seconds=10.0)
    cuts = [k.t for k in result.keyframes if k.reason == "scene"]
    assert len(cuts) == 1 and abs(cuts[0] - 3.0) <= 0.15
    assert result.keyframes[0].reason == "start" and result.keyframes[0].t == 0.0
    assert (result.width, result.height, result.fps) == (160, 120, 10.0)
    assert result.duration == pytest.approx(6.0, abs=0.2)
    assert result.complete and result.frames_decoded == 60


def test_a_slow_pan_is_not_a_scene_cut() -> None:
    result = _scan(_video("mp4", (("chelsea", 6.0),)), sample_seconds=10.0)
    assert [k.reason for k in result.keyframes] == ["start"]


def test_at_least_one_keyframe_every_n_seconds() -> None:
    data = _video("mp4", (("astronaut", 5.0), ("rocket", 7.0)), fps=5)
    result = _scan(data, sample_seconds=2.0)
    times = [k.t for k in result.keyframes]
    assert times[0] == 0.0
    assert max(b - a for a, b in zip(times, times[1:], strict=False)) <= 2.0 + 1e-6
    assert 12.0 - times[-1] <= 2.0
    assert result.sample_seconds == 2.0


def test_frame_cap_stretches_the_interval_and_keeps_the_cut() -> None:
    data = _video("mp4", (("astronaut", 5.0), ("rocket", 7.0)), fps=5)
    result = _scan(data, sample_seconds=0.5, max_frames=4)
    assert len(result.keyframes) <= 4
    assert result.sample_seconds == pytest.approx(12.0 / 4, abs=0.1)
    assert any(k.reason == "scene" and abs(k.t - 5.0) <= 0.25 for k in result.keyframes)


def test_keyframes_are_at_most_the_analysis_size() -> None:
    result = scan(lambda: io.BytesIO(_video("mkv")), VideoSettings(), analysis_px=64)
    assert all(max(k.image.size) == 64 for k in result.keyframes)


def _ticking(step: float) -> Callable[[], float]:
    now = [0.0]

    def clock() -> float:
        now[0] += step
        return now[0]
    return clock


def test_time_budget_stops_a_long_video_with_what_it_has() -> None:
    result = scan(lambda: io.BytesIO(_video("mp4")), VideoSettings(time_budget_s=10.0),
                  clock=_ticking(1.0))
    assert not result.complete and "time budget" in (result.incomplete_reason or "")
    assert 5 <= result.frames_decoded <= 12
    assert result.keyframes and result.vpdq


def test_truncated_mp4_is_a_corrupt_video() -> None:
    data = _video("mp4")  # the muxer writes the index (moov) at the end
    with pytest.raises(CorruptData, match="cannot be opened"):
        _scan(data[: len(data) // 2])


def test_truncated_matroska_keeps_its_frames_and_says_it_is_incomplete() -> None:
    data = _video("mkv")
    result = _scan(data[: len(data) // 2])
    assert not result.complete and "declared" in (result.incomplete_reason or "")
    assert 0 < result.frames_decoded < 60


@pytest.mark.parametrize("junk", [b"", b"\x00\x00\x00\x18ftypmp42" + bytes(500),
                                  b"\x1aE\xdf\xa3" + bytes(range(256)) * 4])
def test_garbage_is_a_corrupt_video(junk: bytes) -> None:
    with pytest.raises(CorruptData):
        _scan(junk)


def test_vpdq_hashes_one_frame_per_second() -> None:
    result = _scan(_video("mp4"))
    assert [f.frame_number for f in result.vpdq] == [0, 10, 20, 30, 40, 50]
    assert [f.timestamp for f in result.vpdq] == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]


def test_frame_size_over_the_pixel_limit_is_refused() -> None:
    with pytest.raises(LimitExceeded, match="160x120"):
        scan(lambda: io.BytesIO(_video("mp4")), VideoSettings(), max_pixels=10_000)


def test_video_section_of_sichter_toml_reaches_the_stage(tmp_path: Path) -> None:
    (tmp_path / "sichter.toml").write_text("[video]\nsample_seconds = 3.5\nmax_frames = 8\n")
    settings = load_settings(tmp_path)
    cfg = VideoSettings.from_options(settings.recorded())
    assert (cfg.sample_seconds, cfg.max_frames) == (3.5, 8)
    assert VideoSettings.from_options({}) == VideoSettings()


def _turned_for_display(mp4: bytes) -> bytes:
    """The same MP4 with the track matrix a phone writes for portrait video: the stored
    landscape frames are shown turned 90° clockwise (ISO 14496-12 tkhd)."""
    data = bytearray(mp4)
    at = data.index(b"tkhd")
    version = data[at + 4]
    matrix = at + 8 + (32 if version == 1 else 20) + 16
    height = 120
    struct.pack_into(">9i", data, matrix, 0, 0x10000, 0, -0x10000, 0, 0, height * 0x10000, 0,
                     0x40000000)
    return bytes(data)


def test_portrait_phone_video_is_scored_upright_and_vpdq_stays_on_the_stored_frames() -> None:
    marked = Image.new("RGB", (200, 120))
    marked.paste((255, 255, 255), (0, 0, 40, 30))  # a white block at the top left
    stored = write_video([(marked, 1.0)], fmt="mp4")
    plain, turned = _scan(stored), _scan(_turned_for_display(stored))

    def block_corner(image: Image.Image) -> tuple[str, str]:
        pixels = np.asarray(image.convert("L"), dtype=float)
        ys, xs = np.nonzero(pixels > 128)
        return ("top" if ys.mean() < pixels.shape[0] / 2 else "bottom",
                "left" if xs.mean() < pixels.shape[1] / 2 else "right")

    first, shown = plain.keyframes[0].image, turned.keyframes[0].image
    assert first.width > first.height and block_corner(first) == ("top", "left")
    assert plain.rotation == 0
    # A player turns it clockwise: portrait, and the top-left corner is now the top right.
    assert shown.height > shown.width and block_corner(shown) == ("top", "right")
    assert turned.rotation == 270
    assert [f.pdq_hex for f in turned.vpdq] == [f.pdq_hex for f in plain.vpdq]
