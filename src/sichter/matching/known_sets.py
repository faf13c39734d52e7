"""What robust and video matchers need from the hash sets: the entries that carry robust
features or vPDQ frames, loaded once per process until the sets change.

Only sets whose details count such entries are read, so a 40 M-row NSRL set costs nothing
here. The cache key is every such set's (id, entries, robust/vPDQ counts, change counter);
importing, extending or removing a set changes it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sichter.store.hashset_models import HashEntry, HashSet


def sets_with(session: Session, detail: str) -> tuple[tuple[Any, ...], ...]:
    """(id, entries, count, changes) of every set whose ``details[detail]`` is positive."""
    out = []
    for sid, entries, details in session.execute(
            select(HashSet.id, HashSet.entries, HashSet.details).order_by(HashSet.id)):
        n = (details or {}).get(detail) or 0
        if n:
            out.append((sid, entries, n, (details or {}).get("changes", 0)))
    return tuple(out)


def cache_key(session: Session, detail: str) -> tuple[Any, ...]:
    return (str(session.get_bind().engine.url), sets_with(session, detail))


def entries_with(session: Session, detail: str, extra_key: str
                 ) -> Iterator[tuple[int, int, str | None, dict[str, Any]]]:
    """(entry id, set id, sha256, extra) of the entries holding ``extra[extra_key]``."""
    set_ids = [row[0] for row in sets_with(session, detail)]
    if not set_ids:
        return
    rows = session.execute(select(HashEntry.id, HashEntry.hash_set_id, HashEntry.sha256,
                                  HashEntry.extra)
                            .where(HashEntry.hash_set_id.in_(set_ids), HashEntry.extra.is_not(None))
                            .order_by(HashEntry.id).execution_options(yield_per=1000))
    for eid, sid, sha, extra in rows:
        if isinstance(extra, dict) and extra.get(extra_key):
            yield eid, sid, sha, extra
