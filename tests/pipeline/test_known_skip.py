"""Content a hash set already knows by its hashes skips the models during ingest."""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from sichter.demo.photos import encode, sample
from sichter.hashsets.importer import import_file
from sichter.pipeline.ingest import ingest
from sichter.settings import Settings
from sichter.store.models import Content


def test_known_files_skip_the_model_stages_and_the_rest_do_not(
        settings: Settings, store: sessionmaker[Session], tmp_path: Path) -> None:
    evidence = tmp_path / "ev"
    evidence.mkdir()
    known = encode(sample("astronaut"), "JPEG")
    (evidence / "known.jpg").write_bytes(known)
    (evidence / "new.jpg").write_bytes(encode(sample("coffee"), "JPEG"))
    hashes = tmp_path / "known-good.txt"
    hashes.write_text(hashlib.sha256(known).hexdigest() + ",known.jpg\n")
    import_file(store, hashes, "tester", name="os-files", fmt="sha256")

    ingest(settings, store, "c1", [evidence])

    with store() as s:
        rows = {c.sha256: c for c in s.scalars(select(Content))}
    skipped = rows[hashlib.sha256(known).hexdigest()]
    assert skipped.analysis["skipped"]["stages"] == sorted(settings.known_skip_stages)
    assert "ai" not in skipped.analysis
    assert skipped.pdq is not None  # cheap facts are still measured
    other = next(c for sha, c in rows.items() if sha != skipped.sha256)
    assert "ai" in other.analysis and "skipped" not in other.analysis


def test_an_empty_skip_list_runs_every_stage(settings: Settings, store: sessionmaker[Session],
                                             tmp_path: Path) -> None:
    evidence = tmp_path / "ev"
    evidence.mkdir()
    known = encode(sample("astronaut"), "JPEG")
    (evidence / "known.jpg").write_bytes(known)
    hashes = tmp_path / "set.txt"
    hashes.write_text(hashlib.sha256(known).hexdigest() + "\n")
    import_file(store, hashes, "tester", name="set", fmt="sha256")
    ingest(settings.model_copy(update={"known_skip_stages": []}), store, "c1", [evidence])
    with store() as s:
        (content,) = s.scalars(select(Content)).all()
    assert "ai" in content.analysis and "skipped" not in content.analysis
