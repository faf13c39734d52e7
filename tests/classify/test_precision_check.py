"""The int8 detector (the default) checked against fp32 on a share of every case's images:
the check sees exactly what the fp32 detector sees, is chosen reproducibly by the pixels, and
its per-case summary reaches the case log, the export, ``rescore`` and the ingest's warnings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from sichter.classify.stage import checked_against_fp32, score_image
from sichter.classify.triage_run import post_ingest
from sichter.cli import app
from sichter.demo.photos import encode, sample
from sichter.pipeline.analyse import AnalysisSettings
from sichter.pipeline.ingest import ingest
from sichter.report.export import records
from sichter.report.pdf import render_case_report
from sichter.settings import load_settings
from sichter.store.cases import create_case, get_case
from sichter.store.crypto import load_master_key
from sichter.store.db import open_store
from sichter.store.models import CaseLog, Content


def settings(**triage: object) -> AnalysisSettings:
    return AnalysisSettings(case_id=1, data_key=bytes(32), options={"triage": triage})


def analysis_image(name: str) -> np.ndarray:
    im = sample(name).convert("RGB")
    im.thumbnail((512, 512))
    return np.asarray(im)


def test_int8_is_the_default_detector_and_names_itself_in_every_score() -> None:
    result = score_image(analysis_image("astronaut"), settings())
    assert "+int8-" in result["models"]["nudenet"]
    assert result["youngest_band"] == "adult"


@pytest.mark.parametrize("name", ["astronaut", "coffee", "chelsea"])
def test_the_check_holds_the_fp32_detectors_own_scores_and_the_int8_ones(name: str) -> None:
    pixels = analysis_image(name)
    checked = score_image(pixels, settings(precision_check=1.0))
    fp32 = score_image(pixels, settings(detector_precision="fp32"))
    check = checked["precision_check"]
    assert check["reference"] == fp32["models"]["nudenet"]
    assert check["fp32"]["explicit"] == fp32["explicit"]
    assert check["fp32"]["classes"] == {k: v for k, v in fp32["classes"].items() if v > 0}
    assert check["int8"]["explicit"] == checked["explicit"]
    assert check["int8"]["classes"] == {k: v for k, v in checked["classes"].items() if v > 0}
    # The scores themselves stay int8's: one model per score, as recorded.
    assert "+int8-" in checked["models"]["nudenet"]


def test_no_check_at_rate_zero_nor_when_fp32_runs_anyway() -> None:
    pixels = analysis_image("astronaut")
    assert "precision_check" not in score_image(pixels, settings(precision_check=0.0))
    assert "precision_check" not in score_image(
        pixels, settings(detector_precision="fp32", precision_check=1.0))


def test_checked_images_are_chosen_by_their_pixels_at_the_configured_rate() -> None:
    rng = np.random.default_rng(7)
    images = [rng.integers(0, 256, (24, 32, 3), dtype=np.uint8) for _ in range(4000)]
    chosen = [checked_against_fp32(im, 0.05) for im in images]
    assert 0.035 <= sum(chosen) / len(images) <= 0.065
    # The same pixels are chosen again (another run, another machine, a duplicate file).
    assert [checked_against_fp32(im.copy(), 0.05) for im in images] == chosen
    assert not any(checked_against_fp32(im, 0.0) for im in images)
    assert all(checked_against_fp32(im, 1.0) for im in images)


@pytest.mark.slow
def test_a_case_reports_how_far_int8_was_from_fp32_and_warns_when_it_mattered(
        tmp_path: Path, home: Path, db_url: str) -> None:
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    for name in ("astronaut", "coffee", "brick"):
        (evidence / f"{name}.jpg").write_bytes(encode(sample(name), "JPEG"))
    config = load_settings(home, database_url=db_url, workers=1, user="tester",
                           triage={"precision_check": 1.0})
    sessions = open_store(db_url)
    create_case(sessions, load_master_key(config.home, config.master_key), "pc", None, "tester")
    summary = ingest(config, sessions, "pc", [evidence])
    assert not [w for w in summary.warnings if "int8" in w]  # benign photos: nothing crossed

    rows = {r["path"].rsplit("/", 1)[-1]: r for r in records(sessions, "pc")}
    for row in rows.values():
        check = row["scores"]["precision_check"]
        assert abs(check["fp32"]["explicit"] - check["int8"]["explicit"]) < 0.1
    with sessions() as s:
        case_id = get_case(s, "pc").id
        log = s.scalars(select(CaseLog).where(CaseLog.case_id == case_id,
                                              CaseLog.action == "triage")).one()
    assert log.details["precision_check"]["checked"] == 3
    assert log.details["precision_check"]["crossings"] == {"0.25": 0, "0.5": 0}
    report = " ".join(render_case_report(sessions, "pc").split())  # what the prosecutor reads
    assert "int8 detector checked against the fp32 model</b> on 3 images" in report
    assert "other side of a threshold: 0.25: 0, 0.5: 0" in report

    # A recorded disagreement on one image (int8 under the explicit threshold, fp32 over it):
    # the triage after ingest warns, and rescore says it too.
    with sessions.begin() as s:
        content = s.scalars(select(Content).where(Content.case_id == case_id)).first()
        assert content is not None
        analysis = dict(content.analysis)
        ai = dict(analysis["ai"])
        ai["precision_check"] = {**ai["precision_check"],
                                 "fp32": {"explicit": 0.61, "classes": {}, "face_detections": 0},
                                 "int8": {"explicit": 0.44, "classes": {}, "face_detections": 0}}
        analysis["ai"] = ai
        content.analysis = analysis
    warnings = post_ingest(config, sessions, case_id)
    assert len(warnings) == 1 and "1 across the explicit threshold 0.5" in warnings[0]

    result = CliRunner().invoke(app, ["--home", str(home), "--db", db_url, "rescore", "pc"],
                                env={"SICHTER_USER": "tester"})
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())  # rich wraps long lines
    assert "checked against fp32 on 3 images" in said
    assert "1 across the explicit threshold 0.5" in said


def test_a_check_the_fp32_model_cannot_make_keeps_the_int8_scores(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from sichter.classify import nudenet_onnx
    from sichter.classify.models import ModelUnavailable
    from sichter.triage.precision import summarise

    real = nudenet_onnx.detect

    def fp32_broken(image, letterbox="rect", model=None):  # noqa: ANN001, ANN202
        if model is None:
            raise ModelUnavailable("fp32 model missing")
        return real(image, letterbox, model)

    monkeypatch.setattr(nudenet_onnx, "detect", fp32_broken)
    result = score_image(analysis_image("astronaut"), settings(precision_check=1.0))
    assert result["youngest_band"] == "adult" and "+int8-" in result["models"]["nudenet"]
    assert result["precision_check"]["error"] == "fp32 model missing"
    summary = summarise([result["precision_check"]], (0.25, 0.5))
    assert summary.failed == 1 and summary.checked == 0 and summary.warning() is None
