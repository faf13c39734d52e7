"""Matching a case's contents against every imported hash set.

Matchers run in order (exact digests, PDQ, dihedral PDQ, then robust stages registered by
other modules); a matcher marked ``only_unmatched`` sees only contents that cheaper matchers
left without a match. A run replaces the case's previous matches (facts do not change; the
sets may have), and is recorded in the case log with its thresholds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session, sessionmaker

from sichter.hashsets import schemes
from sichter.store.cases import log
from sichter.store.hashset_models import HashEntry, HashMatch, HashSet
from sichter.store.models import Case, Content


@dataclass(frozen=True)
class MatchOptions:
    pdq_threshold: int = 31
    pdq_min_quality: int = 50


@dataclass(frozen=True)
class Found:
    content_id: int
    entry_id: int | None
    hash_set_id: int
    kind: str
    distance: int | None = None
    score: float | None = None
    # What the matcher measured and the thresholds it applied (robust and video matchers).
    details: dict[str, Any] | None = field(default=None, compare=False, hash=False)


@dataclass
class MatchContext:
    session: Session
    case_id: int
    options: MatchOptions
    settings: Any = None  # the run's Settings, for matchers with their own options


class Matcher(Protocol):
    """A way of finding contents in hash sets. Optional attribute ``order`` (int, default 100)
    places it among the others; robust matchers set ``only_unmatched = True``."""

    name: str
    only_unmatched: bool

    def match(self, ctx: MatchContext, content_ids: Sequence[int]) -> list[Found]:
        """Matches among ``content_ids`` (all contents of the case when not only_unmatched)."""


MATCHERS: list[Matcher] = []


def register_matcher(matcher: Matcher) -> Matcher:
    """Append a matcher; names are stable and unique (they are stored as the match kind)."""
    if any(m.name == matcher.name for m in MATCHERS):
        raise ValueError(f"a matcher named {matcher.name!r} is already registered")
    MATCHERS.append(matcher)
    return matcher


def ordered_matchers() -> list[Matcher]:
    """Cheapest first: exact (order 0), pdq (10), pdq_dihedral (20), then others (default 100)."""
    return sorted(MATCHERS, key=lambda m: getattr(m, "order", 100))


@dataclass
class MatchSummary:
    contents: int
    matched_contents: int
    matches_by_kind: dict[str, int] = field(default_factory=dict)


def match_case(sessions: sessionmaker[Session], case_id: int, user: str,
               options: MatchOptions = MatchOptions(), settings: Any = None,
               on_matcher: Callable[[str], None] | None = None) -> MatchSummary:
    """Match every content of the case against every hash set; replace the case's matches."""
    import sichter.matching.exact  # noqa: F401 - registers the built-in matchers
    import sichter.matching.perceptual  # noqa: F401
    from sichter.pipeline.stages import registry

    for load in registry().matchers.values():  # stage modules' further matchers (robust ones)
        load()

    with sessions.begin() as s:
        case = s.get(Case, case_id)
        assert case is not None
        ids = list(s.scalars(select(Content.id).where(Content.case_id == case_id).order_by(Content.id)))
        ctx = MatchContext(s, case_id, options, settings)
        found: list[Found] = []
        matched: set[int] = set()
        # Without any hash set nothing can match: the matchers (the robust one reads every
        # content's features) are not run, the run is still logged.
        have_sets = s.scalar(select(HashSet.id).limit(1)) is not None
        for matcher in ordered_matchers() if have_sets else []:
            if on_matcher:
                on_matcher(matcher.name)
            todo = [i for i in ids if i not in matched] if matcher.only_unmatched else ids
            if not todo:
                continue
            new = matcher.match(ctx, todo)
            found.extend(new)
            matched.update(f.content_id for f in new)
        s.execute(delete(HashMatch).where(HashMatch.case_id == case_id))
        _store(s, case, found, user, options)
        by_kind: dict[str, int] = {}
        for f in found:
            by_kind[f.kind] = by_kind.get(f.kind, 0) + 1
        summary = MatchSummary(len(ids), len(matched), by_kind)
        log(s, case_id, user, "match", {"pdq_threshold": options.pdq_threshold,
                                        "pdq_min_quality": options.pdq_min_quality,
                                        "matchers": [m.name for m in MATCHERS],
                                        # robust and video matchers' own thresholds
                                        "thresholds": {m.name: m.thresholds() for m in MATCHERS
                                                       if hasattr(m, "thresholds")},
                                        "contents": summary.contents,
                                        "matched_contents": summary.matched_contents,
                                        "matches": by_kind})
        return summary


def _store(s: Session, case: Case, found: list[Found], user: str, options: MatchOptions) -> None:
    if not found:
        return
    entry_ids = sorted({f.entry_id for f in found if f.entry_id is not None})
    entries: dict[int, tuple[int | None, str | None]] = {}
    for i in range(0, len(entry_ids), 5000):
        rows = s.execute(select(HashEntry.id, HashEntry.category, HashEntry.series)
                         .where(HashEntry.id.in_(entry_ids[i:i + 5000])))
        entries.update((eid, (cat, series)) for eid, cat, series in rows)
    set_schemes = {sid: sc for sid, sc in s.execute(select(HashSet.id, HashSet.scheme))}
    now = datetime.now(UTC)
    rows_out = []
    for f in found:
        category, series = entries.get(f.entry_id, (None, None)) if f.entry_id is not None else (None, None)
        set_scheme = set_schemes.get(f.hash_set_id)
        translated = schemes.translate(category, set_scheme, case.scheme)
        rows_out.append({
            "case_id": case.id, "content_id": f.content_id, "hash_set_id": f.hash_set_id,
            "entry_id": f.entry_id, "kind": f.kind, "distance": f.distance, "score": f.score,
            "category": category, "set_scheme": set_scheme,
            "case_category": str(translated) if translated is not None else None,
            "series": series, "matched_at": now, "matched_by": user,
            "details": {"pdq_threshold": options.pdq_threshold,
                        "pdq_min_quality": options.pdq_min_quality}
            if f.kind.startswith("pdq") else dict(f.details or {}),
        })
    for i in range(0, len(rows_out), 5000):
        s.execute(insert(HashMatch), rows_out[i:i + 5000])
