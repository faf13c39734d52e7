"""One decoding pass over a video (PyAV): keyframes from scene cuts plus uniform sampling,
and the vPDQ frame hashes, within a per-video time budget.

Everything stays in memory; nothing derived from the video touches the disk.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import numpy as np
from PIL import Image

from sichter.classify.video_config import VideoSettings
from sichter.errors import CorruptData, LimitExceeded, UnsupportedFormat
from sichter.signals import vpdq

_CUT_PX = 32  # side of the grey thumbnail compared between consecutive frames
# PyAV's frame.rotation: degrees counter-clockwise to turn the stored frame for display.
_TURNS = {1: Image.Transpose.ROTATE_90, 2: Image.Transpose.ROTATE_180,
          3: Image.Transpose.ROTATE_270}


@dataclass
class Keyframe:
    """A frame chosen for scoring: its time, why it was chosen, and the image (long side <=
    the analysis size)."""

    t: float
    reason: str  # "start", "scene" or "interval"
    image: Image.Image
    strength: float = 0.0  # scene-change strength (0-1); 0 for sampled frames


@dataclass
class VideoScan:
    """What one pass over a video measured."""

    duration: float | None
    width: int
    height: int
    fps: float | None
    codec: str
    keyframes: list[Keyframe]
    vpdq: list[vpdq.VpdqFeature]
    frames_decoded: int
    sample_seconds: float  # the interval actually used (stretched for long videos)
    complete: bool = True
    incomplete_reason: str | None = None
    notes: list[str] = field(default_factory=list)
    rotation: int = 0  # degrees counter-clockwise the keyframes were turned for display


def scan(open_video: Callable[[], BinaryIO], cfg: VideoSettings, analysis_px: int = 512,
         max_pixels: int = 200_000_000, clock: Callable[[], float] = time.monotonic) -> VideoScan:
    """Decode the first video stream of the content once and choose its keyframes.

    Raises UnsupportedFormat (no video stream, unknown codec), CorruptData (cannot be opened
    or not one frame decodes) or LimitExceeded (frame size). A video that breaks or runs out of
    time after some frames decoded comes back with ``complete=False`` and the reason.
    """
    import av

    with open_video() as stream:
        try:
            container = av.open(stream, mode="r")
        except av.FFmpegError as exc:
            raise CorruptData(f"video cannot be opened: {_reason(exc)}") from exc
        try:
            return _scan_container(container, cfg, analysis_px, max_pixels, clock)
        finally:
            container.close()


def _scan_container(container: Any, cfg: VideoSettings, analysis_px: int, max_pixels: int,
                    clock: Callable[[], float]) -> VideoScan:
    import av

    if not container.streams.video:
        raise UnsupportedFormat("no video stream")
    stream = container.streams.video[0]
    ctx = stream.codec_context
    width, height = int(ctx.width or 0), int(ctx.height or 0)
    if width <= 0 or height <= 0:
        raise CorruptData("video stream declares no frame size")
    if width * height > max_pixels:
        raise LimitExceeded(f"video frame of {width}x{height} exceeds {max_pixels:,} pixels")
    ctx.thread_count = 1  # one worker process per core; no decoder threads on top
    rate = stream.average_rate or stream.guessed_rate
    fps = float(rate) if rate else None
    duration = _duration(container, stream)
    interval = cfg.sample_seconds
    if duration:
        interval = max(interval, duration / cfg.max_frames)
    out = VideoScan(duration, width, height, fps, ctx.name, [], [], 0, interval)
    picker = _Picker(cfg, interval, analysis_px, width, height)
    mod = vpdq.frame_mod(fps or 25.0, cfg.vpdq_seconds_per_hash)
    deadline = clock() + cfg.time_budget_s
    last_t = 0.0
    try:
        for index, frame in enumerate(container.decode(stream)):
            out.frames_decoded = index + 1
            t = float(frame.time) if frame.time is not None else index / (fps or 25.0)
            picker.offer(frame, t)
            last_t = t
            if index % mod == 0:
                pdq_hex, quality = vpdq.hash_frame(frame.to_ndarray(format="rgb24"))
                stamp = index / fps if fps else t
                out.vpdq.append(vpdq.VpdqFeature(index, quality, pdq_hex, stamp))
            if clock() > deadline:
                out.complete = False
                out.incomplete_reason = (f"time budget of {cfg.time_budget_s:g} s reached at "
                                         f"{t:.1f} s")
                break
    except av.FFmpegError as exc:
        if out.frames_decoded == 0:
            raise CorruptData(f"no frame decodes: {_reason(exc)}") from exc
        out.complete = False
        out.incomplete_reason = f"decoding stopped after {out.frames_decoded} frames: {_reason(exc)}"
    if out.frames_decoded == 0:
        raise CorruptData("video stream holds no decodable frame")
    if out.complete and duration and last_t < duration - max(1.0, 2.0 / (fps or 25.0)):
        # Frames stop well before the declared end: a truncated or damaged file.
        out.complete = False
        out.incomplete_reason = f"frames end at {last_t:.1f} s of a declared {duration:.1f} s"
    out.keyframes = picker.chosen()
    out.sample_seconds = picker.interval
    out.rotation = picker.rotation
    return out


def _duration(container: Any, stream: Any) -> float | None:
    import av

    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration:
        return float(container.duration) / av.time_base
    return None


def _reason(exc: Exception) -> str:
    text = getattr(exc, "strerror", None) or str(exc)
    return text.strip().rstrip(".")[:200]


class _Picker:
    """Chooses keyframes while frames stream past: every scene cut (strongest ``max_frames/2``
    kept) and one frame per ``interval`` seconds; at most ``max_frames`` in the end."""

    def __init__(self, cfg: VideoSettings, interval: float, analysis_px: int, width: int,
                 height: int) -> None:
        self.cfg = cfg
        self.interval = interval
        scale = min(1.0, analysis_px / max(width, height))
        self.size = (max(1, round(width * scale)), max(1, round(height * scale)))
        self.previous: np.ndarray | None = None
        self.last_t = -float("inf")
        self.next_sample = 0.0
        self.sampled: list[Keyframe] = []
        self.cuts: list[tuple[float, int, Keyframe]] = []  # min-heap on strength
        self.serial = 0
        self.rotation = 0

    def offer(self, frame: Any, t: float) -> None:
        grey = frame.reformat(width=_CUT_PX, height=_CUT_PX, format="gray").to_ndarray()
        grey = grey[:, :_CUT_PX].astype(np.float32) / 255.0  # drop line padding, if any
        change = 0.0 if self.previous is None else float(np.abs(grey - self.previous).mean())
        self.previous = grey
        is_cut = change >= self.cfg.scene_threshold and \
            t - self.last_t >= self.cfg.min_scene_seconds
        if is_cut and self.sampled:
            self._keep_cut(Keyframe(t, "scene", self._image(frame), change))
            self.last_t = t
        elif t >= self.next_sample:
            reason = "start" if not self.sampled else "interval"
            self.sampled.append(Keyframe(t, reason, self._image(frame)))
            self.last_t = t
            self.next_sample = t + self.interval
        else:
            return
        # A scene cut also restarts the uniform clock: the next sample is an interval later.
        self.next_sample = max(self.next_sample, t + self.interval)
        self._thin_samples()

    def _image(self, frame: Any) -> Image.Image:
        w, h = self.size
        image: Image.Image = frame.reformat(width=w, height=h, format="rgb24").to_image()
        # Phones store portrait video as landscape frames plus a display matrix. Scored as
        # stored, people lie on their side, where the detectors find far fewer of them; the
        # reviewer's contact sheet should show what a player shows. (vPDQ stays on the stored
        # frames, as ThreatExchange's vpdq hashes them.)
        quarters = round(float(getattr(frame, "rotation", 0) or 0) / 90) % 4
        if quarters:
            self.rotation = quarters * 90
            image = image.transpose(_TURNS[quarters])
        return image

    def _keep_cut(self, keyframe: Keyframe) -> None:
        self.serial += 1
        item = (keyframe.strength, self.serial, keyframe)
        limit = max(1, self.cfg.max_frames // 2)
        if len(self.cuts) < limit:
            heapq.heappush(self.cuts, item)
        else:
            heapq.heappushpop(self.cuts, item)

    def _thin_samples(self) -> None:
        # Without a known duration the sample list can outgrow the cap: keep every other one
        # and double the interval (the start frame always stays). ``chosen`` trims the rest.
        if len(self.sampled) > self.cfg.max_frames:
            self.sampled = self.sampled[::2]
            self.interval *= 2

    def chosen(self) -> list[Keyframe]:
        cuts = [k for _, _, k in self.cuts]
        room = max(0, self.cfg.max_frames - len(cuts))
        samples = self.sampled
        if len(samples) > room:
            pick = np.linspace(0, len(samples) - 1, room).round().astype(int)
            samples = [samples[i] for i in sorted({int(i) for i in pick})]
        return sorted(samples + cuts, key=lambda k: k.t)
