"""The audit chain: every decision and every full-size view, each row hashed with the one before.

A row's hash covers every field of the row plus the previous row's hash, so editing,
deleting or reordering any row breaks the chain from that row on; ``verify`` names the
first row where it breaks.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sichter.store.models import Case
from sichter.store.review_models import AuditEvent

GENESIS = "0" * 64


def _digest(case_id: int, seq: int, at: str, user: str, action: str, content_id: int | None,
            before: Any, after: Any, prev_hash: str) -> str:
    body = json.dumps([case_id, seq, at, user, action, content_id, before, after, prev_hash],
                      sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(body.encode()).hexdigest()


def _row_digest(e: AuditEvent) -> str:
    return _digest(e.case_id, e.seq, e.at, e.user, e.action, e.content_id, e.before, e.after,
                   e.prev_hash)


def append(session: Session, case_id: int, user: str, action: str, content_id: int | None,
           before: dict[str, Any] | None, after: dict[str, Any] | None) -> AuditEvent:
    """Add one row at the end of the case's chain (inside the caller's transaction).

    The case row is locked first (PostgreSQL), so concurrent appends queue instead of forking
    the chain; the unique (case_id, seq) makes any race fail loudly rather than silently.
    """
    session.execute(select(Case.id).where(Case.id == case_id).with_for_update())
    last = session.execute(select(AuditEvent.seq, AuditEvent.hash).where(AuditEvent.case_id == case_id)
                           .order_by(AuditEvent.seq.desc()).limit(1)).first()
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    at = datetime.now(UTC).isoformat(timespec="microseconds")
    event = AuditEvent(case_id=case_id, seq=seq, at=at, user=user, action=action,
                       content_id=content_id, before=before, after=after, prev_hash=prev,
                       hash=_digest(case_id, seq, at, user, action, content_id, before, after, prev))
    session.add(event)
    session.flush()
    return event


@dataclass(frozen=True)
class ChainReport:
    rows: int
    ok: bool
    first_broken_id: int | None = None
    first_broken_seq: int | None = None
    reason: str | None = None


def verify(session: Session, case_id: int) -> ChainReport:
    """Walk the case's chain in order and report the first row that does not hold."""
    prev, expected_seq, n = GENESIS, 1, 0
    query = (select(AuditEvent).where(AuditEvent.case_id == case_id).order_by(AuditEvent.seq)
             .execution_options(yield_per=5000))
    for e in session.scalars(query):
        n += 1
        reason = None
        if e.seq != expected_seq:
            reason = f"sequence number {e.seq} where {expected_seq} was expected (row missing)"
        elif e.prev_hash != prev:
            reason = "does not carry the hash of the row before it"
        elif _row_digest(e) != e.hash:
            reason = "its content does not match its hash (row edited)"
        if reason:
            return ChainReport(n, False, e.id, e.seq, reason)
        prev, expected_seq = e.hash, e.seq + 1
    return ChainReport(n, True)


def count(session: Session, case_id: int, action: str | None = None) -> int:
    q = select(func.count()).select_from(AuditEvent).where(AuditEvent.case_id == case_id)
    if action:
        q = q.where(AuditEvent.action == action)
    return session.scalar(q) or 0
