"""Review-grid paging at scale: first page vs a deep page (keyset cursor) on generated rows.

Usage: .venv/bin/python bench/web_grid.py [N=100000]. SQLite in a temp folder; no evidence.
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert

from sichter.store.cases import create_case
from sichter.store.crypto import new_data_key
from sichter.store.db import open_store
from sichter.store.models import Content
from sichter.web.services import grid


def main(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        sessions = open_store(f"sqlite:///{Path(tmp) / 'bench.db'}")
        case = create_case(sessions, new_data_key(), "bench", None, "bench")
        now = datetime.now(UTC)
        t0 = time.perf_counter()
        with sessions.begin() as s:
            for start in range(0, n, 20_000):
                s.execute(insert(Content), [
                    {"case_id": case.id, "sha256": f"{i:064d}", "sha1": f"{i:040d}", "md5": f"{i:032d}",
                     "size": 1, "media_type": "image", "mime": "image/jpeg",
                     "pdq": f"{i // 3:064x}" if i % 10 == 0 else f"{i:064x}", "analysed_at": now,
                     "analysis": {}} for i in range(start, min(n, start + 20_000))])
        print(f"generated {n:,} contents in {time.perf_counter() - t0:.1f}s")
        with sessions() as s:
            for label, pages in (("first page", 1), ("page 50 (keyset)", 50)):
                cursor, t = None, time.perf_counter()
                for _ in range(pages):
                    pg = grid.page(s, case.id, grid.GridFilter(), cursor, 60)
                    cursor = pg.next_cursor
                last = time.perf_counter() - t
                print(f"{label}: {last * 1000 / pages:.1f} ms per page over {pages} page(s)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
