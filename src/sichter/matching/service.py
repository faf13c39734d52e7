"""What the rest of Sichter asks of matching: a content's known status and its matches.

Status, in order of precedence:
- ``known``: a match whose hash set gives it a category (VICS ``IsPrecategorized``); it stays
  in review, pre-categorised, and a reviewer can confirm or change it. A categorised match wins
  over known-good, so that nothing categorised ever leaves the queue because NSRL lists it too.
- ``known_good``: a match in a known-good set (NSRL); it leaves the review queue.
- ``error``: the content could not be read or decoded.
- ``unknown``: everything else (also matches in sets without categories).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sichter.hashsets import schemes
from sichter.store.hashset_models import HashMatch, HashSet
from sichter.store.models import Case, Content

KIND_ORDER = {"sha256": 0, "sha1": 1, "md5": 2, "pdq": 3, "pdq_dihedral": 4, "orb_ransac": 5,
              "vpdq": 5}
_CHUNK = 5000


@dataclass(frozen=True)
class KnownStatus:
    """``category`` is a code (as text) in ``scheme``: the case's scheme where the set's
    category has an equivalent there, else the set's own scheme."""

    status: str
    category: str | None
    scheme: str | None
    hashset: str | None


@dataclass(frozen=True)
class MatchView:
    content_id: int
    hashset: str
    role: str
    kind: str
    distance: int | None
    score: float | None
    category: int | None
    set_scheme: str | None
    case_category: str | None
    series: str | None


def _chunks(ids: Sequence[int]) -> Iterator[list[int]]:
    ids = list(ids)
    for i in range(0, len(ids), _CHUNK):
        yield ids[i:i + _CHUNK]


def matches_of(session: Session, case_id: int, content_ids: Sequence[int]) -> dict[int, list[MatchView]]:
    """The matches of each content, best first (exact before perceptual, then by distance)."""
    out: dict[int, list[MatchView]] = {}
    for chunk in _chunks(content_ids):
        rows = session.execute(
            select(HashMatch, HashSet.name, HashSet.role)
            .join(HashSet, HashSet.id == HashMatch.hash_set_id)
            .where(HashMatch.case_id == case_id, HashMatch.content_id.in_(chunk))
        ).all()
        for m, set_name, role in rows:
            out.setdefault(m.content_id, []).append(MatchView(
                m.content_id, set_name, role, m.kind, m.distance, m.score, m.category,
                m.set_scheme, m.case_category, m.series))
    for views in out.values():
        views.sort(key=lambda v: (KIND_ORDER.get(v.kind, 9), v.distance or 0, v.hashset))
    return out


def known_status(session: Session, case_id: int, content_ids: list[int]) -> dict[int, KnownStatus]:
    """The known status of each given content of the case (ids not in the case are left out)."""
    case_scheme = session.scalar(select(Case.scheme).where(Case.id == case_id)) or "vics-us"
    errors: dict[int, str | None] = {}
    for chunk in _chunks(content_ids):
        rows = session.execute(
            select(Content.id, Content.error).where(Content.case_id == case_id, Content.id.in_(chunk)))
        errors.update((cid, err) for cid, err in rows)
    matches = matches_of(session, case_id, list(errors))
    return {cid: decide(matches.get(cid, []), err, case_scheme) for cid, err in errors.items()}


def decide(matches: list[MatchView], error: str | None, case_scheme: str) -> KnownStatus:
    """The status a content's matches (best first) and read error give it. Pure."""
    for m in matches:
        if m.role != "known_good" and schemes.is_categorised(m.set_scheme, m.category):
            code, scheme = m.category, m.set_scheme
            translated = schemes.translate(code, m.set_scheme, case_scheme)
            if translated is not None:
                code, scheme = translated, case_scheme
            return KnownStatus("known", str(code), scheme, m.hashset)
    for m in matches:
        if m.role == "known_good":
            return KnownStatus("known_good", None, None, m.hashset)
    if error:
        return KnownStatus("error", None, None, None)
    return KnownStatus("unknown", None, None, None)


def export_fields(session: Session, case_id: int, content_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Export fields ``status`` and ``matches`` ({hashset, kind, distance, category, series})."""
    statuses = known_status(session, case_id, content_ids)
    matches = matches_of(session, case_id, content_ids)
    out: dict[int, dict[str, Any]] = {}
    for cid, st in statuses.items():
        out[cid] = {
            "status": st.status,
            "matches": [{"hashset": m.hashset, "kind": m.kind,
                         "distance": m.distance if m.distance is not None else m.score,
                         "category": m.category, "category_scheme": m.set_scheme,
                         "case_category": m.case_category, "series": m.series}
                        for m in matches.get(cid, [])],
        }
    return out
