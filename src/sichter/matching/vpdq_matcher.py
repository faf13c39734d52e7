"""The vPDQ matcher (kind ``vpdq``): each video content's per-frame PDQ list against every
hash-set entry with vPDQ frames (from reviewer decisions or imported vPDQ files), by the
reference rule: frames of quality >= 50, frame distance <= 31, >= 80 % of the query's frames
found in the known video. Runs for videos no exact match found.

Known videos are compared one by one (brute force, as python-threatexchange's matcher);
sets built from decisions hold thousands of videos, not millions.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from sichter.errors import CorruptData
from sichter.matching.engine import Found, MatchContext
from sichter.matching.known_sets import cache_key, entries_with
from sichter.signals import vpdq
from sichter.store.models import Content

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class VpdqRule:
    distance: int = vpdq.DISTANCE_THRESHOLD
    quality: int = vpdq.QUALITY_THRESHOLD
    query_pct: float = vpdq.QUERY_MATCH_PCT
    compared_pct: float = vpdq.COMPARED_MATCH_PCT

    def as_dict(self) -> dict[str, Any]:
        return {"kind": vpdq.NAME, **self.__dict__}


@dataclass
class _Loaded:
    key: tuple[Any, ...]
    known: list[tuple[int, int, list[vpdq.VpdqFeature]]]  # entry id, set id, frames


_CACHE: dict[str, _Loaded] = {}


def known_videos(session: Any) -> _Loaded:
    key = cache_key(session, "vpdq_entries")
    cached = _CACHE.get(key[0])
    if cached is not None and cached.key == key:
        return cached
    known = []
    for eid, sid, _sha, extra in entries_with(session, "vpdq_entries", "vpdq"):
        try:
            known.append((eid, sid, vpdq.loads("\n".join(extra["vpdq"]))))
        except (CorruptData, TypeError) as exc:
            log.warning("hash entry %s: vPDQ frames unusable: %s", eid, exc)
    loaded = _Loaded(key, known)
    _CACHE[key[0]] = loaded
    return loaded


class VpdqMatcher:
    name = vpdq.NAME
    only_unmatched = True
    order = 40

    def __init__(self, rule: VpdqRule | None = None) -> None:
        self.rule = rule or VpdqRule()

    def thresholds(self) -> dict[str, Any]:
        return self.rule.as_dict()

    def match(self, ctx: MatchContext, content_ids: Sequence[int]) -> list[Found]:
        loaded = known_videos(ctx.session)
        if not loaded.known:
            return []
        wanted = set(content_ids)
        rule = self.rule
        found: list[Found] = []
        rows = ctx.session.execute(select(Content.id, Content.analysis).where(
            Content.case_id == ctx.case_id, Content.media_type == "video"))
        for cid, analysis in rows:
            lines = ((analysis or {}).get("video") or {}).get("vpdq") if cid in wanted else None
            if not lines:
                continue
            try:
                query = vpdq.loads("\n".join(lines))
            except CorruptData as exc:
                log.warning("content %s: vPDQ frames unusable: %s", cid, exc)
                continue
            for eid, sid, frames in loaded.known:
                result = vpdq.compare(query, frames, rule.distance, rule.quality)
                if result.is_match(rule.query_pct, rule.compared_pct):
                    found.append(Found(cid, eid, sid, self.name, score=round(result.query_pct, 2),
                                       details={"query_pct": round(result.query_pct, 2),
                                                "compared_pct": round(result.compared_pct, 2),
                                                **rule.as_dict()}))
        return found
