"""Decisions flow back into known sets: a hash set built from a case's reviewer decisions.

A file categorised once is never reviewed again anywhere: every content a reviewer decided
becomes an entry (MD5, SHA-1, SHA-256, PDQ when its quality is >= 50, category, series = the
case's name). Images bring their robust local features, decrypted with the case's data key
and re-sealed under the platform hash-set key (:mod:`sichter.hashsets.keys`); videos bring
their vPDQ frames. Running it again extends the set idempotently: known files are not added
twice, a changed decision updates the entry's category.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from sichter.errors import CorruptData, CryptoError, UsageError
from sichter.hashsets import schemes
from sichter.hashsets.keys import hashset_key, seal_features
from sichter.matching.robust import DERIVATIVE_KIND, NAME, VERSION
from sichter.store.cases import data_key, get_case, log
from sichter.store.hashset_models import HashEntry, HashSet
from sichter.store.models import Content, Derivative

FORMAT = "case"
MIN_PDQ_QUALITY = 50  # below it a PDQ says little (formats.md §5.1) and is not kept


@dataclass
class FromCaseResult:
    name: str
    scheme: str
    decisions: int  # decisions considered (after the category filter)
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    robust: int = 0  # entries that gained robust features in this run
    vpdq: int = 0  # entries that gained vPDQ frames in this run
    skipped: list[str] = field(default_factory=list)  # why a decision gave no entry


def decision_code(case_scheme: str, code: str) -> int | None:
    """The integer a hash set stores for a reviewer's category: the digit the category has in
    the case's scheme (the same numbering as :mod:`sichter.hashsets.schemes`)."""
    from sichter.web.services.schemes import categories

    for c in categories(case_scheme):
        if c.code == code:
            return int(c.key)
    return None


def set_from_case(sessions: sessionmaker[Session], master: bytes, case_name: str, user: str, *,
                  name: str | None = None, categories: Iterable[str] | None = None) -> FromCaseResult:
    """Create or extend the hash set ``name`` (default ``case-<case>``) from the case's current
    decisions, restricted to ``categories`` (codes in the case's scheme) when given."""
    from sichter.web.services.decisions import current_decisions
    from sichter.web.services.schemes import valid_codes

    set_name = name or f"case-{case_name}"
    with sessions.begin() as s:
        case = get_case(s, case_name)
        wanted = set(categories) if categories else None
        if wanted and (bad := sorted(wanted - valid_codes(case.scheme))):
            raise UsageError(f"{', '.join(bad)}: not categories of the case's {case.scheme} scheme")
        decided = {cid: d for cid, d in current_decisions(s, case.id).items()
                   if wanted is None or d.category in wanted}
        hs = _the_set(s, set_name, case.scheme, user)
        result = FromCaseResult(set_name, hs.scheme or case.scheme, len(decided))
        if not decided:
            return result
        case_key = data_key(case, master)
        set_key = hashset_key(master)
        existing = {e.sha256: e for e in s.scalars(select(HashEntry).where(
            HashEntry.hash_set_id == hs.id, HashEntry.sha256.in_(
                select(Content.sha256).where(Content.id.in_(list(decided))))))}
        features = _features(s, list(decided))
        contents = s.scalars(select(Content).where(Content.id.in_(list(decided)))
                             .order_by(Content.id)).all()
        for content in contents:
            d = decided[content.id]
            code = decision_code(case.scheme, d.category or "")
            category = schemes.translate(code, case.scheme, hs.scheme or case.scheme) \
                if code is not None else None
            if category is None:
                result.skipped.append(f"content {content.id}: category {d.category!r} of "
                                      f"{case.scheme} has no equivalent in {hs.scheme}")
                continue
            extra: dict[str, Any] = {"source": {
                "case": case.name, "content_id": content.id, "case_category": d.category,
                "case_scheme": case.scheme, "decided_by": d.reviewed_by,
                "decided_at": d.reviewed_at.isoformat(), "decision_version": d.version},
                "media_type": content.media_type, "pdq_quality": content.pdq_quality}
            gained = _known_material(extra, content, features.get(content.id), case_key, set_key,
                                     result)
            entry = existing.get(content.sha256)
            if entry is None:
                pdq = content.pdq if (content.pdq_quality or 0) >= MIN_PDQ_QUALITY else None
                entry = HashEntry(hash_set_id=hs.id, md5=content.md5, sha1=content.sha1,
                                  sha256=content.sha256, pdq=pdq, category=category,
                                  series=case.name, name=None, extra=extra)
                s.add(entry)
                existing[content.sha256] = entry
                result.added += 1
                _count(result, gained)
                continue
            old = dict(entry.extra or {})
            missing = [k for k in gained if k not in old]
            if entry.category == category and not missing:
                result.unchanged += 1
                continue
            merged = {**old, **extra, **{k: old[k] for k in gained if k in old}}
            entry.extra = merged  # a new dict: JSON columns track assignment, not mutation
            entry.category = category
            result.updated += 1
            _count(result, missing)
        s.flush()
        if result.added or result.updated:
            _provenance(s, hs, case.name, user, result, wanted)
            log(s, case.id, user, "hashset_from_case", {
                "hashset": set_name, "scheme": hs.scheme, "decisions": result.decisions,
                "added": result.added, "updated": result.updated, "robust": result.robust,
                "vpdq": result.vpdq, "skipped": len(result.skipped),
                "categories": sorted(wanted) if wanted else None})
    return result


def _the_set(s: Session, set_name: str, scheme: str, user: str) -> HashSet:
    hs = s.scalar(select(HashSet).where(HashSet.name == set_name))
    if hs is not None:
        if hs.format != FORMAT:
            raise UsageError(f"{set_name!r} was imported from a file ({hs.format}); a set built from "
                             "cases needs its own name (--name)")
        return hs
    hs = HashSet(name=set_name, role="reference", format=FORMAT, scheme=scheme,
                 file_name=f"reviewer decisions ({set_name})",
                 # unique per set, never a real file's digest: a set from cases has no file
                 file_sha256=hashlib.sha256(f"sichter-case-set:{set_name}".encode()).hexdigest(),
                 imported_at=datetime.now(UTC), imported_by=user, entries=0, bad_records=0,
                 details={"sources": []})
    s.add(hs)
    s.flush()
    return hs


def _features(s: Session, content_ids: list[int]) -> dict[int, bytes]:
    rows = s.execute(select(Derivative.content_id, Derivative.data).where(
        Derivative.content_id.in_(content_ids), Derivative.kind == DERIVATIVE_KIND))
    return {cid: data for cid, data in rows}


def _known_material(extra: dict[str, Any], content: Content, sealed: bytes | None, case_key: bytes,
                    set_key: bytes, result: FromCaseResult) -> list[str]:
    """Add robust features / vPDQ frames to ``extra``; the keys it added."""
    from sichter.matching.robust_stage import features_from_derivative

    gained = []
    if sealed is not None:
        try:
            features = features_from_derivative(case_key, content.case_id, content.sha256, sealed)
        except (CryptoError, CorruptData) as exc:
            result.skipped.append(f"content {content.id}: stored features unusable ({exc})")
        else:
            extra["robust"] = {"extractor": f"{NAME}/v{VERSION}", "keypoints": len(features),
                               "sealed": seal_features(set_key, content.sha256, NAME,
                                                       features.to_bytes())}
            gained.append("robust")
    frames = ((content.analysis or {}).get("video") or {}).get("vpdq")
    if frames:
        extra["vpdq"] = list(frames)
        gained.append("vpdq")
    return gained


def _count(result: FromCaseResult, gained: list[str]) -> None:
    result.robust += "robust" in gained
    result.vpdq += "vpdq" in gained


def _provenance(s: Session, hs: HashSet, case_name: str, user: str, result: FromCaseResult,
                wanted: set[str] | None) -> None:
    def count(*where: Any) -> int:
        return int(s.scalar(select(func.count()).select_from(HashEntry).where(
            HashEntry.hash_set_id == hs.id, *where)) or 0)

    details = dict(hs.details or {})
    details["sources"] = [*details.get("sources", []), {
        "case": case_name, "at": datetime.now(UTC).isoformat(), "by": user,
        "decisions": result.decisions, "added": result.added, "updated": result.updated,
        "categories": sorted(wanted) if wanted else None}]
    details["robust_entries"] = details.get("robust_entries", 0) + result.robust
    details["vpdq_entries"] = details.get("vpdq_entries", 0) + result.vpdq
    details["changes"] = details.get("changes", 0) + 1  # invalidates the matchers' caches
    hs.details = details
    hs.entries = count()
