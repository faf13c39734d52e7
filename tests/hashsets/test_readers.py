"""Hash-set readers: random valid records round-trip; random garbage never crashes and is
reported with its line or record number."""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sichter.hashsets.model import BadRecord, Record, SetFacts
from sichter.hashsets.registry import READERS, reader_for

HEXCHARS = "0123456789abcdefABCDEF"
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def hexes(n: int) -> st.SearchStrategy[str]:
    return st.text(HEXCHARS, min_size=n, max_size=n)


def _read(path: Path, fmt: str = "auto") -> tuple[list[Record], list[BadRecord], SetFacts]:
    facts = SetFacts()
    items = list(reader_for(path, fmt).read(path, facts))
    return ([i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, BadRecord)],
            facts)


def _write(data: bytes, suffix: str = ".txt") -> Path:
    fd, name = tempfile.mkstemp(suffix=suffix)
    os.write(fd, data)
    os.close(fd)
    return Path(name)


media = st.fixed_dictionaries(
    {"MD5": hexes(32)},
    optional={"SHA1": hexes(40), "Category": st.one_of(st.none(), st.integers(0, 5),
                                                       st.integers(0, 5).map(str)),
              "VictimIdentified": st.sampled_from([True, False, "true", "false", "TRUE"]),
              "MediaSize": st.one_of(st.integers(0, 10**9), st.integers(0, 10**9).map(str)),
              "Series": st.text(min_size=1, max_size=10),
              "PDQ": hexes(64)})


def _vics_doc(items: list[dict], version: str, nested: bool) -> dict:
    out = []
    for i, m in enumerate(items):
        m = dict(m, MediaID=i + 1)
        if "PDQ" in m:
            m["AlternativeHashes"] = [{"MD5": m["MD5"], "HashName": "PDQ", "HashValue": m.pop("PDQ")},
                                      {"MD5": m["MD5"], "HashName": "PhotoDNA", "HashValue": "QUJD"}]
        out.append(m)
    if version == "1.3":
        doc = {"odata.metadata": "http://github.com/ICMEC/ProjectVic/DataModels/1.3.xml#Media"}
    else:
        doc = {"@odata.context": "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/"
                                 "Default/$metadata#" + ("Cases" if nested else "Media")}
    doc["value"] = [{"CaseNumber": "X", "Media": out}] if nested else out
    return doc


@FAST
@given(items=st.lists(media, max_size=15), version=st.sampled_from(["1.3", "2.0"]),
       nested=st.booleans(), encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]))
def test_vics_records_round_trip(items: list[dict], version: str, nested: bool, encoding: str) -> None:
    text = json.dumps(_vics_doc(items, version, nested), indent=1)
    path = _write(text.encode(encoding), ".json")  # "utf-16" writes a little-endian BOM here
    records, bad, facts = _read(path)
    assert bad == []
    assert facts.scheme == "vics-us"
    assert [r.md5 for r in records] == [m["MD5"].lower() for m in items]
    for r, m in zip(records, items, strict=True):
        assert r.sha1 == (m["SHA1"].lower() if "SHA1" in m else None)
        assert r.category == (int(m["Category"]) if m.get("Category") is not None else None)
        assert r.pdq == (m["PDQ"].lower() if "PDQ" in m else None)
        if "VictimIdentified" in m:
            assert r.extra and r.extra["VictimIdentified"] == (str(m["VictimIdentified"]).lower() == "true")
        if "PDQ" in m:
            assert r.extra and r.extra["alternative_hashes"][0]["name"] == "PhotoDNA"


def test_vics_bad_records_are_reported_by_number_and_the_rest_imported() -> None:
    doc = _vics_doc([{"MD5": "A" * 32}, {"MD5": "not-hex"}, {"MD5": "B" * 32, "Category": "x"},
                     {"MD5": "C" * 32}], "2.0", nested=False)
    records, bad, _ = _read(_write(json.dumps(doc).encode(), ".json"))
    assert [r.md5 for r in records] == ["a" * 32, "c" * 32]
    assert [(b.unit, b.number) for b in bad] == [("record", 2), ("record", 3)]


def test_vics_truncated_file_keeps_records_before_the_damage() -> None:
    text = json.dumps(_vics_doc([{"MD5": "A" * 32}, {"MD5": "B" * 32}], "2.0", nested=False), indent=1)
    records, bad, _ = _read(_write(text[: text.index("BBBB")].encode(), ".json"), "vics")
    assert [r.md5 for r in records] == ["a" * 32]
    assert len(bad) == 1 and bad[0].unit == "line" and "malformed JSON" in bad[0].reason


@FAST
@given(garbage=st.binary(max_size=300), fmt=st.sampled_from(sorted(READERS)))
def test_garbage_never_crashes_a_reader(garbage: bytes, fmt: str) -> None:
    from sichter.errors import SichterError

    path = _write(garbage)
    try:
        records, bad, _ = _read(path, fmt)
    except SichterError:
        return  # a clear refusal (e.g. not an NSRL database) is fine
    assert all(b.number >= 1 and b.reason for b in bad)


@FAST
@given(rows=st.lists(st.tuples(st.sampled_from(["md5", "sha1", "sha256"]), st.booleans()), max_size=10),
       kind=st.sampled_from(["md5", "sha1", "sha256"]), data=st.data())
def test_hash_lists_round_trip_with_bad_lines_numbered(rows: list, kind: str, data: st.DataObject) -> None:
    n = {"md5": 32, "sha1": 40, "sha256": 64}[kind]
    lines, expected, bad_lines = [kind.upper()], [], []
    for i, (_, bad) in enumerate(rows):
        if bad:
            lines.append("zz" + "0" * (n - 2))
            bad_lines.append(i + 2)
        else:
            h = data.draw(hexes(n))
            name = data.draw(st.one_of(st.none(), st.from_regex(r"[a-z]{1,8}\.jpg", fullmatch=True)))
            lines.append(h + (f",{name}" if name else ""))
            expected.append((h.lower(), name))
    records, bad, _ = _read(_write("\n".join(lines).encode()), kind)
    assert [(getattr(r, kind), r.name) for r in records] == expected
    assert [b.number for b in bad] == bad_lines


@FAST
@given(rows=st.lists(st.tuples(hexes(64), st.one_of(st.none(), st.integers(0, 5)),
                               st.one_of(st.none(), st.from_regex(r"[a-z]{1,6}", fullmatch=True))),
                     max_size=10), csv_form=st.booleans())
def test_pdq_lists_round_trip(rows: list, csv_form: bool) -> None:
    if csv_form:
        text = "pdq,category,series\n" + "\n".join(f"{h},{'' if c is None else c},{s or ''}"
                                                   for h, c, s in rows)
    else:
        text = "\n".join(f"pdq {h}" for h, _, _ in rows)
    path = _write(text.encode())
    if rows:
        assert reader_for(path).name == "pdq"  # detected, not taken for a SHA-256 list
    records, bad, _ = _read(path, "pdq")
    assert bad == []
    assert [r.pdq for r in records] == [h.lower() for h, _, _ in rows]
    if csv_form:
        assert [(r.category, r.series) for r in records] == [(c, s) for _, c, s in rows]


def test_pdq_csv_bad_lines_are_numbered() -> None:
    text = "pdq,category\n" + "a" * 64 + ",1\nnot-a-hash,1\n" + "b" * 64 + ",x\n" + "c" * 64 + ",\n"
    records, bad, _ = _read(_write(text.encode()))
    assert [r.pdq for r in records] == ["a" * 64, "c" * 64]
    assert [b.number for b in bad] == [3, 4]


def make_nsrl(path: Path, rows: list[tuple[str, str, str, str]], full: bool = False) -> Path:
    db = sqlite3.connect(path)
    if full:
        db.execute("CREATE TABLE METADATA (sha256 VARCHAR, sha1 VARCHAR, md5 VARCHAR, file_name VARCHAR)")
        db.executemany("INSERT INTO METADATA VALUES (?, ?, ?, ?)", rows)
        db.execute("CREATE VIEW FILE AS SELECT UPPER(sha256) AS sha256, UPPER(sha1) AS sha1, "
                   "UPPER(md5) AS md5, file_name FROM METADATA")
    else:
        db.execute("CREATE TABLE FILE (sha256 VARCHAR NOT NULL, sha1 VARCHAR NOT NULL, md5 VARCHAR NOT NULL,"
                   " crc32 VARCHAR NOT NULL, file_name VARCHAR NOT NULL, file_size INTEGER NOT NULL,"
                   " package_id INTEGER NOT NULL, PRIMARY KEY (sha256, sha1, md5, crc32, file_name, "
                   "file_size, package_id))")
        db.executemany("INSERT INTO FILE VALUES (?, ?, ?, '0', ?, 1, ?)",
                       [(*r, i) for i, r in enumerate(rows)])
        db.execute("CREATE VIEW DISTINCT_HASH AS SELECT DISTINCT sha256, sha1, md5, crc32 FROM FILE")
    db.commit()
    db.close()
    return path


@FAST
@given(rows=st.lists(st.tuples(hexes(64).map(str.upper), hexes(40).map(str.upper), hexes(32).map(str.upper),
                               st.from_regex(r"[a-z]{1,8}\.dll", fullmatch=True)), max_size=8),
       full=st.booleans())
def test_nsrl_minimal_and_full_round_trip(rows: list, full: bool) -> None:
    path = make_nsrl(Path(tempfile.mkdtemp()) / "RDS_2024.03.1_modern_minimal.db", rows, full)
    before = path.read_bytes()
    records, bad, facts = _read(path)
    assert bad == []
    distinct = {(s.lower(), s1.lower(), m.lower()) for s, s1, m, _ in rows}
    assert {(r.sha256, r.sha1, r.md5) for r in records} == distinct
    if not full:  # the minimal flavour keeps a file listed in many packages once
        assert len(records) == len(distinct)
    assert facts.details["flavour"] == ("full" if full else "minimal")
    assert path.read_bytes() == before and not Path(str(path) + "-wal").exists()  # read-only
