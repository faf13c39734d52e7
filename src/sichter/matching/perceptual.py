"""PDQ matching: the content's PDQ, then its seven other dihedral variants (mirror, rotations),
against every PDQ of every hash set, through the range index in ``pdq_index`` (exact up to
2 M hashes; above, complete up to 23 bits and measured beyond: bench/RESULTS.md)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sichter.matching.engine import Found, MatchContext, register_matcher
from sichter.matching.pdq_index import PdqIndex, hex_to_bytes
from sichter.store.hashset_models import HashEntry
from sichter.store.models import Content


@dataclass
class _Loaded:
    key: tuple[str, int, int, int]
    index: PdqIndex
    entry_ids: np.ndarray
    set_ids: np.ndarray


_CACHE: dict[str, _Loaded] = {}


def pdq_index(session: Session, threshold: int) -> _Loaded:
    """The index of every set's PDQs, built once per process until the sets change."""
    url = str(session.get_bind().engine.url)  # an Engine's .engine is itself
    count, top = session.execute(select(func.count(HashEntry.id), func.max(HashEntry.id))
                                 .where(HashEntry.pdq.is_not(None))).one()
    key = (url, int(count or 0), int(top or 0), threshold)
    cached = _CACHE.get(url)
    if cached is not None and cached.key == key:
        return cached
    ids: list[int] = []
    sets: list[int] = []
    hexes: list[str] = []
    for eid, sid, pdq in session.execute(select(HashEntry.id, HashEntry.hash_set_id, HashEntry.pdq)
                                         .where(HashEntry.pdq.is_not(None))
                                         .execution_options(yield_per=100_000)):
        if pdq is None:  # never: the query leaves NULL out; the test only narrows the type
            continue
        ids.append(eid)
        sets.append(sid)
        hexes.append(pdq)
    loaded = _Loaded(key, PdqIndex(hex_to_bytes(hexes), threshold), np.array(ids, dtype=np.int64),
                     np.array(sets, dtype=np.int64))
    _CACHE[url] = loaded
    return loaded


def _queries(session: Session, case_id: int, content_ids: Sequence[int], min_quality: int,
             dihedral: bool) -> tuple[list[int], list[str]]:
    wanted = set(content_ids)
    owners: list[int] = []
    hexes: list[str] = []
    rows = session.execute(select(Content.id, Content.pdq, Content.pdq_quality, Content.analysis)
                           .where(Content.case_id == case_id, Content.pdq.is_not(None)))
    for cid, pdq, quality, analysis in rows:
        if cid not in wanted or (quality or 0) < min_quality:
            continue
        if not dihedral:
            owners.append(cid)
            hexes.append(pdq)
            continue
        variants = ((analysis or {}).get("pdq_dihedral") or {}).get("hashes") or []
        for h in variants:
            owners.append(cid)
            hexes.append(h)
    return owners, hexes


class PdqMatcher:
    def __init__(self, name: str, dihedral: bool) -> None:
        self.name = name
        self.dihedral = dihedral
        # Dihedral variants are only tried where the plain PDQ found nothing.
        self.only_unmatched = dihedral
        self.order = 20 if dihedral else 10

    def match(self, ctx: MatchContext, content_ids: Sequence[int]) -> list[Found]:
        opts = ctx.options
        owners, hexes = _queries(ctx.session, ctx.case_id, content_ids, opts.pdq_min_quality,
                                 self.dihedral)
        if not hexes:
            return []
        loaded = pdq_index(ctx.session, opts.pdq_threshold)
        if len(loaded.index) == 0:
            return []
        result = loaded.index.range_search(hex_to_bytes(hexes))
        best: dict[tuple[int, int], int] = {}  # (content, entry) -> smallest distance
        for q, item, dist in zip(result.query.tolist(), result.item.tolist(), result.distance.tolist(),
                                 strict=True):
            key = (owners[q], int(loaded.entry_ids[item]))
            if key not in best or dist < best[key]:
                best[key] = dist
        set_of = dict(zip(loaded.entry_ids.tolist(), loaded.set_ids.tolist(), strict=True))
        return [Found(cid, eid, set_of[eid], self.name, distance=d) for (cid, eid), d in best.items()]


register_matcher(PdqMatcher("pdq", dihedral=False))
register_matcher(PdqMatcher("pdq_dihedral", dihedral=True))
