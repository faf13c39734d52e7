"""vPDQ files as hash sets: both serialisations (C++ text, python-threatexchange JSON) read
back what was written, garbage never crashes the reader and is reported by line, and an
imported video's hash finds a re-encoded copy during ingest, with the category and series
given on import."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import select
from typer.testing import CliRunner

from sichter.classify.video_config import VideoSettings
from sichter.classify.video_frames import scan
from sichter.classify.video_synth import reencode, write_video
from sichter.cli import app
from sichter.hashsets.importer import entries_of, import_file
from sichter.hashsets.model import BadRecord, Record, SetFacts
from sichter.hashsets.registry import reader_for
from sichter.hashsets.vpdq_reader import VpdqReader
from sichter.matching.service import known_status, matches_of
from sichter.pipeline.ingest import ingest
from sichter.settings import Settings
from sichter.signals import vpdq
from sichter.signals.vpdq import VpdqFeature
from sichter.store.cases import create_case, get_case
from sichter.store.crypto import load_master_key
from sichter.store.db import open_store
from sichter.store.hashset_models import HashMatch
from sichter.store.models import Occurrence

frames = st.lists(st.builds(
    VpdqFeature,
    frame_number=st.integers(0, 10**7),
    quality=st.integers(0, 100),
    pdq_hex=st.binary(min_size=32, max_size=32).map(bytes.hex),
    timestamp=st.integers(0, 10**8).map(lambda ms: ms / 1000)), min_size=1, max_size=30)
_OK = [HealthCheck.function_scoped_fixture]


def _read(path: Path) -> list[Record | BadRecord]:
    return list(VpdqReader().read(path, SetFacts()))


@hsettings(max_examples=60, deadline=None, suppress_health_check=_OK)
@given(frames)
def test_cpp_text_round_trips_and_is_detected(tmp_path: Path, video: list[VpdqFeature]) -> None:
    path = tmp_path / "clip.txt"
    path.write_text(vpdq.dumps(video))
    assert reader_for(path).name == "vpdq"
    [record] = _read(path)
    assert isinstance(record, Record) and record.extra is not None
    assert vpdq.loads("\n".join(record.extra["vpdq"])) == video


@hsettings(max_examples=60, deadline=None, suppress_health_check=_OK)
@given(frames)
def test_threatexchange_json_round_trips_and_is_detected(tmp_path: Path,
                                                         video: list[VpdqFeature]) -> None:
    path = tmp_path / "clip.json"
    path.write_text(vpdq.to_threatexchange(video))
    assert reader_for(path).name == "vpdq"
    [record] = _read(path)
    assert isinstance(record, Record) and record.extra is not None
    back = vpdq.loads("\n".join(record.extra["vpdq"]))
    # the JSON carries no frame numbers: they become the positions
    assert back == [VpdqFeature(n, f.quality, f.pdq_hex, f.timestamp) for n, f in enumerate(video)]


@hsettings(max_examples=100, deadline=None, suppress_health_check=_OK)
@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=90),
                max_size=8), st.booleans())
def test_garbage_never_crashes_and_bad_lines_are_reported(tmp_path: Path, lines: list[str],
                                                          json_like: bool) -> None:
    path = tmp_path / "junk.txt"
    path.write_text(("[" if json_like else "") + "\n".join(lines), encoding="utf-8")
    out = _read(path)
    assert out  # a record, or at least one reason why not
    for item in out:
        assert isinstance(item, Record | BadRecord)
        if isinstance(item, BadRecord):
            assert item.number >= 1 and item.reason


def test_a_bad_line_is_reported_with_its_number_and_the_rest_kept(tmp_path: Path) -> None:
    good = VpdqFeature(0, 90, "ab" * 32, 0.0)
    path = tmp_path / "clip.txt"
    path.write_text(f"{good.line()}\n1,90,nothex,1.000\n")
    out = _read(path)
    assert [str(b) for b in out if isinstance(b, BadRecord)] == [
        "line 2: vPDQ line: the PDQ hash must be 64 hex digits"]
    assert [r.extra for r in out if isinstance(r, Record)] == [{"vpdq": [good.line()]}]


@pytest.mark.slow  # an ingest with two videos: ~10 s per database
def test_imported_vpdq_finds_a_reencoded_copy_on_ingest(settings: Settings, tmp_path: Path) -> None:
    video = write_video([("coffee", 3.0), ("camera", 3.0)], fmt="mp4")
    hashes = scan(lambda: io.BytesIO(video), VideoSettings()).vpdq
    hash_file = tmp_path / "known-clip.txt"
    hash_file.write_text(vpdq.dumps(hashes))
    sessions = open_store(settings.database_url)
    result = import_file(sessions, hash_file, "tester", name="clips", category=2, series="S-7")
    assert (result.format, result.entries, result.bad_count) == ("vpdq", 1, 0)
    [entry] = list(entries_of(sessions, "clips"))
    assert (entry.category, entry.series, len(entry.extra["vpdq"])) == (2, "S-7", len(hashes))

    evidence = tmp_path / "evidence"
    evidence.mkdir()
    (evidence / "copy.mkv").write_bytes(reencode(video, "mkv", size=(128, 96)))
    (evidence / "other.mp4").write_bytes(write_video([("rocket", 3.0)], fmt="mp4"))
    master = load_master_key(settings.home, settings.master_key)
    create_case(sessions, master, "v", None, "tester")
    ingest(settings.model_copy(update={"skip_stages": ["ai"]}), sessions, "v", [evidence])
    with sessions() as s:
        case_id = get_case(s, "v").id
        ids = {Path(p).name: c for p, c in s.execute(
            select(Occurrence.path, Occurrence.content_id).where(Occurrence.case_id == case_id))}
        status = known_status(s, case_id, list(ids.values()))
        matches = matches_of(s, case_id, list(ids.values()))
        details = s.scalar(select(HashMatch.details).where(HashMatch.content_id == ids["copy.mkv"]))
    [m] = matches[ids["copy.mkv"]]
    assert (m.kind, m.hashset, m.category, m.series) == ("vpdq", "clips", 2, "S-7")
    assert m.score is not None and m.score >= 80
    assert details["distance"] == 31 and details["quality"] == 50 and details["query_pct"] >= 80
    assert (status[ids["copy.mkv"]].status, status[ids["copy.mkv"]].category) == ("known", "2")
    assert ids["other.mp4"] not in matches and status[ids["other.mp4"]].status == "unknown"


def test_cli_imports_a_vpdq_file_with_category_and_series(tmp_path: Path) -> None:
    path = tmp_path / "clip.json"
    path.write_text(vpdq.to_threatexchange([VpdqFeature(0, 90, "cd" * 32, 0.0)]))
    home = ["--home", str(tmp_path / "home")]
    out = CliRunner().invoke(app, [*home, "hashset", "import", str(path), "--category", "1",
                                   "--series", "S-1"])
    assert out.exit_code == 0, out.output
    assert "(vpdq, scheme vics-us): 1 entries" in out.output
