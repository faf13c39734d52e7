"""NSRL RDSv3 import throughput and memory: a synthetic minimal RDS into SQLite and PostgreSQL.

    .venv/bin/python bench/nsrl_import.py [--rows 40000000] [--stores sqlite,postgres] [--no-baseline]

Generates (once; cached in bench/out/) a synthetic RDSv3 "minimal" database with NIST's schema
(``FILE`` table with its 7-column primary key, ``DISTINCT_HASH`` view, ``VERSION``, ``PKG``):
``--rows`` rows of random uppercase hex hashes, of which every 10th repeats the previous file in
another package (as NSRL lists one file in many packages) and three are malformed. The rows are
made by SQLite itself (a recursive CTE over ``randomblob``), so generation costs no Python
per row. The SHA-256 column ascends with the row number (random below an 8-digit prefix), so
the primary key is filled in order; the importer reads in primary-key order anyway.

Then it imports the file with ``sichter.hashsets.importer.import_file`` (NSRL, known-good) into
(a) a fresh SQLite store and (b) a fresh PostgreSQL database (created on localhost:5432 under a
unique name and dropped afterwards), and prints rows/s, total time, the peak RSS of this
process (sampled every 0.1 s) together with the RSS range seen during the import (it streams,
so the range must stay flat), and the store's size. The lower bound beside it: the same rows
copied by SQLite alone (``INSERT INTO hash_entry SELECT lower(...) FROM nsrl.FILE`` with the
hash indexes dropped and created afterwards; same table and indexes as Sichter's, no Python
per row, no validation).
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from sichter.hashsets.importer import import_file  # noqa: E402
from sichter.store.db import open_store  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"
PG_ADMIN = ["psql", "-h", "localhost", "-p", "5432", "-U", "postgres", "-d", "postgres", "-qAtc"]
BAD_ROWS = 3

SCHEMA = """
CREATE TABLE FILE (sha256 VARCHAR NOT NULL, sha1 VARCHAR NOT NULL, md5 VARCHAR NOT NULL,
    crc32 VARCHAR NOT NULL, file_name VARCHAR NOT NULL, file_size INTEGER NOT NULL,
    package_id INTEGER NOT NULL,
    PRIMARY KEY (sha256, sha1, md5, crc32, file_name, file_size, package_id));
CREATE TABLE MFG (manufacturer_id INTEGER PRIMARY KEY, name VARCHAR);
CREATE TABLE OS (operating_system_id INTEGER PRIMARY KEY, name VARCHAR, version VARCHAR,
    manufacturer_id INTEGER);
CREATE TABLE PKG (package_id INTEGER PRIMARY KEY, name VARCHAR, version VARCHAR,
    operating_system_id INTEGER, manufacturer_id INTEGER, language VARCHAR, application_type VARCHAR);
CREATE TABLE VERSION (version VARCHAR UNIQUE, build_set VARCHAR, build_date TIMESTAMP,
    release_date TIMESTAMP, description VARCHAR);
CREATE VIEW DISTINCT_HASH AS SELECT DISTINCT sha256, sha1, md5, crc32 FROM FILE;
"""


def make_rds(rows: int) -> Path:
    """The synthetic minimal RDS with ``rows`` FILE rows, generated once and cached."""
    path = OUT / f"RDS_bench_{rows}_minimal.db"
    if path.exists():
        return path
    OUT.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    tmp.unlink(missing_ok=True)
    t0 = time.perf_counter()
    db = sqlite3.connect(tmp)
    db.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-1000000;"
                     + SCHEMA)
    db.execute("INSERT INTO VERSION VALUES ('bench', 'synthetic', '2024-03-01', '2024-03-01', "
               "'Sichter benchmark data, random hashes')")
    db.executemany("INSERT INTO PKG VALUES (?, ?, '1.0', 1, 1, 'English', 'Operating System')",
                   [(i, f"package {i}") for i in range(1, 1001)])
    unique = rows - rows // 10 - BAD_ROWS
    step = (16**8 - 1) // max(unique, 1)
    with db:
        # Sorted SHA-256 prefix (filled in PK order); random everything else. Uppercase, like NIST.
        db.execute(f"""
            WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < {unique})
            INSERT INTO FILE
            SELECT printf('%08X', i * {step}) || hex(randomblob(28)), hex(randomblob(20)),
                   hex(randomblob(16)), printf('%08X', abs(random()) % 4294967296),
                   'file' || i || '.dll', abs(random()) % 10000000, 1 + abs(random()) % 1000
            FROM n""")
    with db:  # every 10th file again, in another package
        db.execute(f"""INSERT INTO FILE SELECT sha256, sha1, md5, crc32, file_name, file_size,
                       1 + package_id % 1000 FROM FILE WHERE rowid % 8 = 0 LIMIT {rows // 10}""")
        db.executemany("INSERT INTO FILE VALUES (?, ?, ?, '00000000', 'bad.dll', 1, 1)",
                       [("NOT-HEX", "A" * 40, "B" * 32), ("C" * 64, "SHORT", "D" * 32),
                        ("E" * 64, "F" * 40, "G" * 32)][:BAD_ROWS])
    count = db.execute("SELECT count(*) FROM FILE").fetchone()[0]
    db.close()
    tmp.rename(path)
    print(f"generated {path.name}: {count:,} rows, {path.stat().st_size / 2**30:.2f} GiB "
          f"in {time.perf_counter() - t0:.0f} s", flush=True)
    return path


class Rss:
    """Samples this process's RSS every 0.1 s: peak overall, and the range inside a window."""

    def __init__(self) -> None:
        self.peak = 0
        self.window: list[int] = []
        self.recording = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            rss = me.memory_info().rss
            self.peak = max(self.peak, rss)
            if self.recording:
                self.window.append(rss)
            time.sleep(0.1)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def run_import(label: str, url: str, rds: Path, rows: int, rss: Rss, size: Callable[[], int]) -> dict:
    sessions = open_store(url)
    progress: list[tuple[float, int, int]] = []
    me = psutil.Process()
    t0 = time.perf_counter()

    def on_progress(n: int) -> None:
        progress.append((time.perf_counter() - t0, n, me.memory_info().rss))
        if len(progress) % 40 == 0:
            el = progress[-1][0]
            print(f"  {label}: {n:,} rows, {el:.0f} s, {n / el:,.0f} rows/s, "
                  f"RSS {progress[-1][2] / 2**20:.0f} MiB", flush=True)

    rss.window = []
    rss.recording = True
    peak_before = rss.peak
    result = import_file(sessions, rds, "bench", name=f"nsrl-{label}", fmt="nsrl", known_good=True,
                         on_progress=on_progress)
    elapsed = time.perf_counter() - t0
    rss.recording = False
    again = import_file(sessions, rds, "bench", name=f"nsrl-{label}", fmt="nsrl", known_good=True)
    sessions.kw["bind"].dispose()
    window = rss.window[len(rss.window) // 10:] or rss.window  # after the first 10 %
    out = {"store": label, "entries": result.entries, "bad": result.bad_count, "seconds": elapsed,
           "rows_per_s": rows / elapsed, "rss_min": min(window), "rss_max": max(window),
           "peak_before": peak_before, "size": size(), "again_added": again.entries,
           "again_flag": again.already_imported}
    print(f"{label}: {result.entries:,} entries ({result.bad_count} bad) in {elapsed:.1f} s = "
          f"{out['rows_per_s']:,.0f} source rows/s; RSS during import {out['rss_min'] / 2**20:.0f}–"
          f"{out['rss_max'] / 2**20:.0f} MiB (after the first 10 %); store {out['size'] / 2**30:.2f} GiB;"
          f" second import added {again.entries} (already_imported={again.already_imported})",
          flush=True)
    return out


def sqlite_baseline(rds: Path, rows: int, workdir: Path) -> dict:
    """SQLite alone copying the same rows into the same table, then building the same indexes
    (the fastest plain-SQL way, no validation, no Python per row): the lower bound."""
    target = workdir / "baseline.db"
    open_store(f"sqlite:///{target}").kw["bind"].dispose()  # the same schema, through the migrations
    db = sqlite3.connect(target, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute(f"ATTACH 'file:{rds}?mode=ro&immutable=1' AS nsrl")
    indexes = db.execute("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'hash_entry' "
                         "AND sql IS NOT NULL").fetchall()
    t0 = time.perf_counter()
    db.execute("BEGIN")
    db.execute("INSERT INTO hash_set (id, name, role, format, file_name, file_sha256, imported_at, "
               "imported_by, entries, bad_records, details) VALUES (1, 'b', 'known_good', 'nsrl', "
               "'x', 'x', '2024-01-01', 'bench', 0, 0, '{}')")
    for name in ("ix_hash_entry_md5", "ix_hash_entry_sha1", "ix_hash_entry_sha256"):
        db.execute(f"DROP INDEX {name}")
    n = db.execute("""INSERT INTO hash_entry (hash_set_id, sha256, sha1, md5, name)
                      SELECT 1, lower(sha256), lower(sha1), lower(md5), min(file_name)
                      FROM nsrl.FILE GROUP BY sha256, sha1, md5""").rowcount
    for (sql,) in indexes:
        if "set_pdq" not in sql:
            db.execute(sql)
    db.execute("COMMIT")
    elapsed = time.perf_counter() - t0
    db.close()
    print(f"baseline (sqlite INSERT … SELECT, then CREATE INDEX; no validation): {n:,} rows in "
          f"{elapsed:.1f} s = {rows / elapsed:,.0f} source rows/s", flush=True)
    return {"store": "sqlite-baseline", "entries": n, "seconds": elapsed, "rows_per_s": rows / elapsed}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=40_000_000)
    ap.add_argument("--stores", default="sqlite,postgres")
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--workdir", type=Path, default=None,
                    help="where the SQLite stores go (default bench/out)")
    args = ap.parse_args()
    print(f"load: {os.getloadavg()}; free disk: {psutil.disk_usage(str(OUT.parent)).free / 2**30:.0f} GiB",
          flush=True)
    rds = make_rds(args.rows)
    rss = Rss()
    results = []
    with tempfile.TemporaryDirectory(dir=args.workdir or OUT) as tmp:
        work = Path(tmp)
        if "sqlite" in args.stores:
            store = work / "store.db"
            results.append(run_import("sqlite", f"sqlite:///{store}", rds, args.rows, rss,
                                      lambda: sum(p.stat().st_size for p in work.glob("store.db*"))))
            store.unlink()
        if "postgres" in args.stores:
            name = f"sichter_bench_{uuid.uuid4().hex[:8]}"
            subprocess.run([*PG_ADMIN, f"CREATE DATABASE {name}"], check=True)
            try:
                def pg_size() -> int:
                    out = subprocess.run([*PG_ADMIN, f"SELECT pg_database_size('{name}')"], check=True,
                                         capture_output=True, text=True).stdout
                    return int(out.strip())
                results.append(run_import("postgres", f"postgresql+psycopg://postgres@localhost:5432/{name}",
                                          rds, args.rows, rss, pg_size))
            finally:
                subprocess.run([*PG_ADMIN, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"], check=True)
        if not args.no_baseline:
            results.append(sqlite_baseline(rds, args.rows, work))
    rss.stop()
    print(f"\npeak RSS of the process: {rss.peak / 2**20:.0f} MiB; load now {os.getloadavg()}")
    print("\n| store | source rows | entries | time | source rows/s | minutes per 40 M rows "
          "| RSS during import | store size |")
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        per40 = 40_000_000 / r["rows_per_s"] / 60
        rss_txt = f"{r['rss_min'] / 2**20:.0f}–{r['rss_max'] / 2**20:.0f} MiB" if "rss_min" in r else "—"
        size_txt = f"{r['size'] / 2**30:.2f} GiB" if "size" in r else "—"
        print(f"| {r['store']} | {args.rows:,} | {r['entries']:,} | {r['seconds']:.0f} s | "
              f"{r['rows_per_s']:,.0f} | {per40:.1f} | {rss_txt} | {size_txt} |")


if __name__ == "__main__":
    main()
