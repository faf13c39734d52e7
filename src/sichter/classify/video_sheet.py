"""Contact sheet of a video: its keyframes in a grid, each labelled with its time.

Built in memory and returned as JPEG bytes; the caller hands them to the worker's
``_derivatives`` mechanism, which encrypts them before they leave the process.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from PIL import Image, ImageDraw

_LABEL_PX = 14


def timecode(t: float) -> str:
    """``h:mm:ss.s`` (hours only when needed)."""
    minutes, seconds = divmod(max(0.0, t), 60.0)
    hours, minutes = divmod(int(minutes), 60)
    return f"{hours}:{minutes:02d}:{seconds:04.1f}" if hours else f"{minutes}:{seconds:04.1f}"


def contact_sheet(frames: Sequence[tuple[float, Image.Image]], columns: int = 4,
                  tile_px: int = 192, quality: int = 80) -> bytes:
    """A JPEG grid of ``(time, image)`` tiles in the given order, ``columns`` per row, each
    ``tile_px`` wide with its aspect kept and its time written under it."""
    if not frames:
        raise ValueError("a contact sheet needs at least one frame")
    first = frames[0][1]
    tile_h = max(1, round(tile_px * first.height / max(1, first.width)))
    cols = min(columns, len(frames))
    rows = -(-len(frames) // cols)
    cell_h = tile_h + _LABEL_PX
    sheet = Image.new("RGB", (cols * tile_px, rows * cell_h), (24, 24, 24))
    draw = ImageDraw.Draw(sheet)
    for i, (t, image) in enumerate(frames):
        x, y = (i % cols) * tile_px, (i // cols) * cell_h
        tile = image.convert("RGB")
        tile.thumbnail((tile_px, tile_h))
        sheet.paste(tile, (x + (tile_px - tile.width) // 2, y + (tile_h - tile.height) // 2))
        draw.text((x + 3, y + tile_h + 1), timecode(t), fill=(235, 235, 235))
    buf = io.BytesIO()
    sheet.save(buf, "JPEG", quality=quality)
    return buf.getvalue()
