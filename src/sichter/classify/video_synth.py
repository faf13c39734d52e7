"""Benign synthetic videos for tests, demos and benchmarks: scenes made from still photos
(scikit-image samples) with a slow pan, so consecutive frames differ a little and a scene
change is a hard cut at a known time."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from sichter.demo.photos import sample

FORMATS = {"mp4": ("mp4", "mpeg4"), "mkv": ("matroska", "mpeg4"), "webm": ("webm", "libvpx"),
           "h264": ("mp4", "libx264")}


def scene_frames(photo: Image.Image, seconds: float, fps: int, size: tuple[int, int]) -> list[
        np.ndarray]:
    """``seconds * fps`` RGB frames of ``photo`` panning slowly left to right."""
    w, h = size
    base = photo.convert("RGB").resize((int(w * 1.25), h), Image.Resampling.BILINEAR)
    arr = np.asarray(base)
    n = max(1, round(seconds * fps))
    span = arr.shape[1] - w
    return [np.ascontiguousarray(arr[:, (i * span) // max(1, n - 1):][:, :w]) for i in range(n)]


def write_video(scenes: Sequence[tuple[str | Image.Image, float]], fmt: str = "mp4", fps: int = 10,
                size: tuple[int, int] = (160, 120)) -> bytes:
    """Encode scenes ``(photo name or image, seconds)`` back to back into a video file's bytes
    (container and codec from ``FORMATS``)."""
    import av

    container_fmt, codec = FORMATS[fmt]
    buf = io.BytesIO()
    with av.open(buf, mode="w", format=container_fmt) as out:
        stream: Any = out.add_stream(codec, rate=fps)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        if codec == "libx264":
            stream.options = {"preset": "ultrafast"}
        for photo, seconds in scenes:
            image = sample(photo) if isinstance(photo, str) else photo
            for rgb in scene_frames(image, seconds, fps, size):
                for packet in stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                    out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return buf.getvalue()


def reencode(data: bytes, fmt: str = "mkv", size: tuple[int, int] | None = None,
             fps: int | None = None) -> bytes:
    """Decode a video and encode it again (another container/codec, optionally resized)."""
    import av

    src: Any
    with av.open(io.BytesIO(data)) as src:
        stream = src.streams.video[0]
        rate = fps or int(round(float(stream.average_rate or 10)))
        frames = [f.to_ndarray(format="rgb24") for f in src.decode(stream)]
    if size is not None:
        frames = [np.asarray(Image.fromarray(f).resize(size, Image.Resampling.BILINEAR))
                  for f in frames]
    h, w = frames[0].shape[:2]
    container_fmt, codec = FORMATS[fmt]
    buf = io.BytesIO()
    with av.open(buf, mode="w", format=container_fmt) as out:
        st: Any = out.add_stream(codec, rate=rate)
        st.width, st.height, st.pix_fmt = w, h, "yuv420p"
        for rgb in frames:
            for packet in st.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                out.mux(packet)
        for packet in st.encode():
            out.mux(packet)
    return buf.getvalue()


def save(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path
