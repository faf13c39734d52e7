"""The robust matcher (kind ``orb_ransac``): for contents that exact, PDQ and dihedral PDQ
matching left without a match, the image's stored local features are looked up in an index
of every hash-set entry that carries robust features (sets built from reviewer decisions).

Both sides stay encrypted at rest: the case's features are opened with the case's data key,
the known ones with the platform hash-set key; plaintext exists only in this process.
Each match records its score, inliers and the thresholds (``RobustConfig.as_dict()``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from sichter.errors import CorruptData, CryptoError
from sichter.matching.engine import Found, MatchContext
from sichter.matching.known_sets import cache_key, entries_with
from sichter.matching.robust import DERIVATIVE_KIND, NAME, VERSION, LocalFeatures
from sichter.matching.robust_index import RobustConfig, RobustIndex
from sichter.store.models import Case, Content, Derivative

log = logging.getLogger(__name__)
_CHUNK = 500


@dataclass
class _Loaded:
    key: tuple[Any, ...]
    index: RobustIndex
    set_of: dict[int, int]  # entry id -> set id
    unusable: int  # entries whose features did not open (wrong master key, damage)


_CACHE: dict[str, _Loaded] = {}


def known_index(session: Any, master: bytes, config: RobustConfig) -> _Loaded:
    """The index of every entry's robust features, built once per process until sets change."""
    from sichter.hashsets.keys import hashset_key, open_features

    key = (*cache_key(session, "robust_entries"), config)
    url = key[0]
    cached = _CACHE.get(url)
    if cached is not None and cached.key == key:
        return cached
    set_key = hashset_key(master)
    index = RobustIndex(config)
    set_of: dict[int, int] = {}
    unusable = 0
    for eid, sid, sha, extra in entries_with(session, "robust_entries", "robust"):
        robust = extra["robust"]
        if robust.get("extractor") != f"{NAME}/v{VERSION}" or not sha:
            unusable += 1
            continue
        try:
            features = LocalFeatures.from_bytes(open_features(set_key, sha, NAME, robust["sealed"]))
        except (CryptoError, CorruptData, KeyError, ValueError) as exc:
            log.warning("hash entry %s: robust features unusable: %s", eid, exc)
            unusable += 1
            continue
        index.add(str(eid), features)
        set_of[eid] = sid
    loaded = _Loaded(key, index, set_of, unusable)
    _CACHE[url] = loaded
    return loaded


class RobustMatcher:
    name = NAME
    only_unmatched = True
    order = 30  # after pdq (10) and pdq_dihedral (20)

    def __init__(self, config: RobustConfig | None = None) -> None:
        self.config = config or RobustConfig()

    def thresholds(self) -> dict[str, Any]:
        return self.config.as_dict()

    def match(self, ctx: MatchContext, content_ids: Sequence[int]) -> list[Found]:
        settings = ctx.settings
        if settings is None or not content_ids:
            return []  # without settings there is no master key: nothing can be opened
        from sichter.matching.robust_stage import features_from_derivative
        from sichter.store.cases import data_key
        from sichter.store.crypto import load_master_key

        master = load_master_key(settings.home, settings.master_key)
        loaded = known_index(ctx.session, master, self.config)
        if not loaded.set_of:
            return []
        case = ctx.session.get(Case, ctx.case_id)
        assert case is not None
        case_key = data_key(case, master)
        thresholds = self.config.as_dict()
        found: list[Found] = []
        ids = list(content_ids)
        for start in range(0, len(ids), _CHUNK):
            rows = ctx.session.execute(
                select(Content.id, Content.sha256, Derivative.data)
                .join(Derivative, Derivative.content_id == Content.id)
                .where(Content.case_id == ctx.case_id, Derivative.kind == DERIVATIVE_KIND,
                       Content.id.in_(ids[start:start + _CHUNK])))
            for cid, sha, sealed in rows:
                try:
                    features = features_from_derivative(case_key, ctx.case_id, sha, sealed)
                except (CryptoError, CorruptData) as exc:
                    log.warning("content %s: stored features unusable: %s", cid, exc)
                    continue
                for m in loaded.index.query(features, top_k=self.config.candidates):
                    eid = int(m.key)
                    found.append(Found(cid, eid, loaded.set_of[eid], NAME, score=m.score,
                                       details={"inliers": m.inliers, "score": m.score,
                                                "extractor": f"{NAME}/v{VERSION}", **thresholds}))
        return found
