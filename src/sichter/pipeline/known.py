"""Does a hash set already know this content exactly? Asked once per new content during
ingest, so known-good system files and already categorised material skip the models."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker


def known_lookup(sessions: sessionmaker[Session]) -> Callable[[dict[str, str]], bool] | None:
    """A predicate over a content's hex digests, or None when no hash set is imported (then
    the ingest asks nothing). Uses its own session: reads never wait for the ingest's writes."""
    try:
        from sichter.store.hashset_models import HashEntry, HashSet
    except ImportError:  # a build without known-material matching
        return None
    session = sessions()
    if session.scalar(select(HashSet.id).limit(1)) is None:
        session.close()
        return None

    def is_known(digests: dict[str, str]) -> bool:
        found = session.scalar(select(HashEntry.id).where(or_(
            HashEntry.sha256 == digests["sha256"], HashEntry.sha1 == digests["sha1"],
            HashEntry.md5 == digests["md5"])).limit(1))
        session.rollback()  # end the read transaction so SQLite's WAL can checkpoint
        return found is not None

    return is_known
