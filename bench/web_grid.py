"""Review-grid paging at scale: first page, page 50 and a deep page from the review queue.

Usage: .venv/bin/python bench/web_grid.py [N=100000] [sqlite|postgres]

Generates N image contents (10 % in PDQ stacks of three), a triage row for each (priority
0-100, so priorities tie heavily, as in real cases), a decision on 5 %, builds the queue with
``refresh_queue`` and times grid pages. SQLite in a temp folder; PostgreSQL in a throw-away
database on localhost (``SICHTER_BENCH_PG`` = admin URL). No evidence, no network.
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, func, insert, select, text, true
from sqlalchemy.orm import Session, sessionmaker

from sichter.store.ai_models import Triage
from sichter.store.cases import create_case
from sichter.store.crypto import new_data_key
from sichter.store.db import open_store
from sichter.store.models import Content
from sichter.store.review_models import ReviewQueue, ReviewState
from sichter.web.services import grid
from sichter.web.services.queue import refresh_queue

PG_ADMIN = os.environ.get("SICHTER_BENCH_PG", "postgresql+psycopg://postgres@localhost:5432/postgres")
BANDS = ("under14", "14to17", "adult", "uncertain", "none")
CHUNK = 20_000


@contextmanager
def store(kind: str) -> Iterator[sessionmaker[Session]]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield open_store(f"sqlite:///{Path(tmp) / 'bench.db'}")
        return
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    name = f"sichter_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        sessions = open_store(admin.url.set(database=name).render_as_string(hide_password=False))
        yield sessions
        sessions.kw["bind"].dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def generate(sessions: sessionmaker[Session], case_id: int, n: int) -> None:
    rnd = random.Random(6)
    now = datetime.now(UTC)
    with sessions.begin() as s:
        first = (s.scalar(select(Content.id).order_by(Content.id.desc()).limit(1)) or 0) + 1
        for start in range(0, n, CHUNK):
            idx = range(start, min(n, start + CHUNK))
            s.execute(insert(Content), [
                {"case_id": case_id, "sha256": f"{i:064d}", "sha1": f"{i:040d}", "md5": f"{i:032d}",
                 "size": 1, "media_type": "image" if i % 50 else "video", "mime": "image/jpeg",
                 "pdq": f"{i // 3:064x}" if i % 10 < 3 else f"{i + n:064x}", "analysed_at": now,
                 "analysis": {}} for i in idx])
            s.execute(insert(Triage), [
                {"content_id": first + i, "case_id": case_id, "priority": rnd.randint(0, 100),
                 "suggested_category": rnd.choice("01245"), "youngest_band": rnd.choice(BANDS),
                 "explicit": rnd.random(), "known_status": "known" if i % 97 == 0 else "unknown",
                 "reasons": [], "models": {}, "thresholds": {}, "computed_at": now,
                 "computed_by": "bench"} for i in idx])
            s.execute(insert(ReviewState), [
                {"content_id": first + i, "case_id": case_id, "category": rnd.choice("01245"),
                 "version": 1, "reviewed_by": "bench", "reviewed_at": now}
                for i in idx if i % 20 == 0])


def timed(fn: Callable[[], object], repeat: int = 5) -> float:
    """Median milliseconds of ``repeat`` runs (after one warm-up)."""
    fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return sorted(times)[len(times) // 2]


def deep_cursor(s: Session, case_id: int, tiles: int) -> str:
    """The cursor a reviewer would hold after ``tiles`` tiles (found once, by OFFSET)."""
    q = ReviewQueue
    p, cid = s.execute(select(q.priority, q.content_id).where(q.case_id == case_id, q.is_leader == true())
                       .order_by(q.priority.desc(), q.content_id).offset(tiles - 1).limit(1)).one()
    return f"{p}:{cid}"


def main(n: int, kind: str) -> None:
    with store(kind) as sessions:
        case = create_case(sessions, new_data_key(), "bench", None, "bench")
        t0 = time.perf_counter()
        generate(sessions, case.id, n)
        print(f"{kind}: generated {n:,} contents with triage rows in {time.perf_counter() - t0:.1f}s")
        t0 = time.perf_counter()
        with sessions.begin() as s:
            rows = refresh_queue(s, case.id)
        print(f"refresh_queue (whole case): {rows:,} rows in {time.perf_counter() - t0:.1f}s")
        with sessions() as s:
            leaders = s.scalar(select(func.count()).where(ReviewQueue.case_id == case.id,
                                                          ReviewQueue.is_leader == true())) or 0
            deep = deep_cursor(s, case.id, int(leaders * 0.9))
            cursor49 = None
            for _ in range(49):
                cursor49 = grid.page(s, case.id, grid.GridFilter(), cursor49, 60).next_cursor
            cases: list[tuple[str, grid.GridFilter, str | None]] = [
                ("first page", grid.GridFilter(), None),
                ("page 50", grid.GridFilter(), cursor49),
                ("deep page (90 % of tiles)", grid.GridFilter(), deep),
                ("unreviewed, deep", grid.GridFilter(reviewed=False), deep),
                ("suggested=1, deep", grid.GridFilter(suggested="1"), deep),
                ("band under14 + unreviewed", grid.GridFilter(band="under14", reviewed=False), None),
                ("decided=4", grid.GridFilter(decided="4"), None),
                ("explicit 0.90-0.91", grid.GridFilter(explicit_min=0.9, explicit_max=0.91), None),
                ("media=video", grid.GridFilter(media="video"), None),
            ]
            for label, flt, cur in cases:
                ms = timed(lambda f=flt, c=cur: grid.page(s, case.id, f, c, 60))  # type: ignore[misc]
                print(f"  {label:<28} {ms:7.1f} ms")
        with sessions.begin() as s:
            ids = list(s.scalars(select(Content.id).where(Content.case_id == case.id)
                                 .order_by(Content.id).limit(1000)))
            t0 = time.perf_counter()
            refresh_queue(s, case.id, ids)
        print(f"refresh_queue (1 000 contents and their stacks): {(time.perf_counter() - t0) * 1000:.0f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000, sys.argv[2] if len(sys.argv) > 2 else "sqlite")
