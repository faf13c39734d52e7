"""Exact matching: MD5, SHA-1 and SHA-256 through indexed joins in the store."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from sichter.matching.engine import Found, MatchContext, register_matcher
from sichter.store.hashset_models import HashEntry
from sichter.store.models import Content


class ExactMatcher:
    only_unmatched = False
    order = 0

    def __init__(self, kind: str) -> None:
        self.name = kind

    def match(self, ctx: MatchContext, content_ids: Sequence[int]) -> list[Found]:
        entry_col = getattr(HashEntry, self.name)
        content_col = getattr(Content, self.name)
        rows = ctx.session.execute(
            select(Content.id, HashEntry.id, HashEntry.hash_set_id)
            .join(HashEntry, entry_col == content_col)
            .where(Content.case_id == ctx.case_id))
        wanted = set(content_ids)
        return [Found(cid, eid, sid, self.name) for cid, eid, sid in rows if cid in wanted]


for _kind in ("sha256", "sha1", "md5"):
    register_matcher(ExactMatcher(_kind))
