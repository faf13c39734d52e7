"""The full-size original of a content, read from the evidence on demand, never written to disk.

The store keeps only encrypted thumbnails. For a full view we go back to the evidence: a
regular file is opened read-only; an archive member is found by re-opening its archive
chain in memory with the same readers and limits as ingest. The bytes are checked against
the content's SHA-256 before anyone sees them, so a changed source cannot show a wrong image.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from sichter.errors import CorruptData, EvidenceError, LimitExceeded
from sichter.evidence.locator import Locator, on_disk
from sichter.evidence.model import FileOccurrence, OsPath, open_payload
from sichter.evidence.readonly import open_readonly
from sichter.evidence.walk import archive_kind, expand
from sichter.settings import Limits
from sichter.store.models import Content, Occurrence

BROWSER_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp", "image/bmp"}


def read_original(session: Session, content: Content, limits: Limits) -> bytes:
    """The content's bytes from the first occurrence that still yields them unchanged."""
    occurrences = session.scalars(select(Occurrence).where(
        Occurrence.case_id == content.case_id, Occurrence.content_id == content.id)
        .order_by(Occurrence.id)).all()
    reasons = []
    for occ in occurrences:
        try:
            data = _read(occ, limits)
        except (OSError, EvidenceError) as exc:
            reasons.append(f"{occ.path}: {exc}")
            continue
        if data is not None and hashlib.sha256(data).hexdigest() == content.sha256:
            return data
        reasons.append(f"{occ.path}: not found or changed since ingest")
    raise EvidenceError("the original cannot be read from the evidence: " + "; ".join(reasons))


def _read(occ: Occurrence, limits: Limits) -> bytes | None:
    target = Locator.from_chain(occ.origin)
    top = target.chain()[0][1]
    # Names that were not UTF-8 are stored escaped; on_disk finds the file they came from.
    source = Path(on_disk(occ.source))
    path = Path(on_disk(str(source.parent / top))) if source.is_dir() else source
    if target.parent is None:
        if path.stat().st_size > limits.max_inline_bytes:
            raise LimitExceeded("larger than the in-memory limit for a full view")
        with open_readonly(path) as f:
            return f.read()
    hops = target.chain()
    prefixes = {Locator.from_chain(hops[: i + 1]) for i in range(len(hops))}
    top_loc = Locator.from_chain(hops[:1])
    with open_readonly(path) as f:
        container = FileOccurrence(occ.source, top_loc, OsPath(str(path)))
        size = path.stat().st_size
        for event in expand(f, container, limits, lambda loc: loc in prefixes, size,
                            archive_kind(f, size)):
            if isinstance(event, FileOccurrence) and event.locator == target:
                if event.payload is None:
                    raise CorruptData(event.error or "member cannot be read")
                with open_payload(event.payload) as member:
                    return member.read()
    return None


def browser_image(data: bytes, mime: str) -> tuple[bytes, str]:
    """Bytes a browser can show: as is for common types, else re-encoded to PNG in memory."""
    if mime in BROWSER_TYPES:
        return data, mime
    from PIL import Image

    try:
        import pillow_heif

        pillow_heif.register_heif_opener()
    except ImportError:  # pragma: no cover - installed with Sichter
        pass
    try:
        with Image.open(io.BytesIO(data)) as im:
            im.seek(0)
            out = io.BytesIO()
            im.convert("RGB").save(out, "PNG")
            return out.getvalue(), "image/png"
    except (OSError, ValueError) as exc:
        raise CorruptData(f"cannot convert {mime} for the browser: {exc}") from exc
