"""Everything the item view shows about one content: facts, paths, matches, scores, boxes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sichter.errors import UsageError
from sichter.store.models import Case, Content, Derivative, Occurrence
from sichter.web.services.decisions import Decision, stack_members, state_of
from sichter.web.services.triage_view import triage_table


@dataclass(frozen=True)
class Box:
    """A region to draw over the image, in fractions of its width and height."""

    label: str
    x: float
    y: float
    w: float
    h: float


@dataclass
class ItemDetail:
    id: int
    sha256: str
    md5: str
    size: int
    media_type: str
    mime: str
    width: int | None
    height: int | None
    pdq: str | None
    exif: dict[str, Any] | None
    error: str | None
    paths: list[str]
    stack: list[int]
    decision: Decision | None
    triage: dict[str, Any] | None
    known: dict[str, Any] | None
    analysis: dict[str, Any]
    derivatives: list[str]
    boxes: list[Box] = field(default_factory=list)
    original_paths: dict[str, str] = field(default_factory=dict)  # path -> as a backup names it


def item_detail(session: Session, case: Case, content_id: int) -> ItemDetail:
    content = session.get(Content, content_id)
    if content is None or content.case_id != case.id:
        raise UsageError(f"no content {content_id} in case {case.name!r}")
    located = session.execute(select(Occurrence.path, Occurrence.original_path).where(
        Occurrence.case_id == case.id, Occurrence.content_id == content_id).order_by(Occurrence.path)).all()
    paths = [path for path, _ in located]
    t = triage_table(session)
    triage = None
    if t is not None:
        row = session.execute(select(t).where(t.c.content_id == content_id)).mappings().first()
        if row is not None:
            triage = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()}
    derivs = list(session.scalars(select(Derivative.kind).where(Derivative.content_id == content_id)))
    analysis = content.analysis or {}
    return ItemDetail(content.id, content.sha256, content.md5, content.size, content.media_type,
                      content.mime, content.width, content.height, content.pdq, content.exif,
                      content.error, paths, stack_members(session, case.id, [content_id])[content_id],
                      state_of(session, case.id, [content_id]).get(content_id), triage,
                      _known(session, case.id, content_id), analysis, derivs,
                      [] if _plays_frames(content.mime, analysis)
                      else boxes_in(analysis, content.width, content.height),
                      {path: original for path, original in located if original})


def _plays_frames(mime: str, analysis: dict[str, Any]) -> bool:
    """An animation the browser plays as it is: no box stays on its frame while it runs."""
    from sichter.web.services.original import BROWSER_TYPES

    ai = analysis.get("ai")
    return mime in BROWSER_TYPES and isinstance(ai, dict) and bool(ai.get("image_frames"))


def _known(session: Session, case_id: int, content_id: int) -> dict[str, Any] | None:
    try:
        from sichter.matching.service import known_status
    except ImportError:  # hash-set matching not installed in this build
        return None
    ks = known_status(session, case_id, [content_id]).get(content_id)
    return None if ks is None else {"status": ks.status, "category": ks.category,
                                     "scheme": ks.scheme, "hashset": ks.hashset}


def boxes_in(analysis: dict[str, Any], width: int | None, height: int | None) -> list[Box]:
    """Regions any stage recorded as ``box`` ([x, y, w, h] in pixels of the original, or in
    fractions when all values are <= 1), with a label from ``label``/``class``/``age``; not
    those of another frame (``frame`` > 0, a video's ``t``)."""
    found: list[Box] = []

    def visit(node: Any, stage: str) -> None:
        if isinstance(node, dict):
            box = node.get("box")
            # Boxes in another frame than the one shown (an animated image's later frames, a
            # video's keyframes) would land on the wrong picture.
            elsewhere = node.get("frame") not in (None, 0) or "t" in node
            if not elsewhere and isinstance(box, list | tuple) and len(box) == 4 and all(
                    isinstance(v, int | float) for v in box):
                x, y, w, h = (float(v) for v in box)
                if max(x, y, w, h) > 1 and width and height:
                    x, w, y, h = x / width, w / width, y / height, h / height
                label = str(node.get("label") or node.get("class") or stage)
                if node.get("age") is not None:
                    label += f" · {node['age']}"
                found.append(Box(label, x, y, w, h))
            for v in node.values():
                visit(v, stage)
        elif isinstance(node, list):
            for v in node:
                visit(v, stage)

    for stage, result in analysis.items():
        visit(result, stage)
    return found[:200]
