"""The int8 detector (the default): made on this machine once from the activation ranges
Sichter ships, the same bytes wherever it is made, named by its own hash in every score, and
agreeing with the fp32 model on benign photos within the drift bench/RESULTS.md states."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from sichter.classify import nudenet_int8, nudenet_onnx
from sichter.demo.photos import encode, sample
from sichter.pipeline.ingest import ingest
from sichter.report.export import records
from sichter.settings import load_settings
from sichter.store.ai_models import AIModel
from sichter.store.cases import create_case
from sichter.store.crypto import load_master_key
from sichter.store.db import open_store
from sichter.triage.explicit import explicit_score

PHOTOS = ["astronaut", "camera", "coffee", "chelsea", "motorcycle_left", "horse", "brick", "rocket"]


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("home") / "models"


def test_the_int8_model_is_made_once_and_named_by_its_own_hash(models_dir: Path) -> None:
    from sichter.classify.models import file_sha256

    path = nudenet_int8.model_path(models_dir)
    made = path.stat().st_mtime_ns
    assert nudenet_int8.model_path(models_dir) == path and path.stat().st_mtime_ns == made
    assert [p.name for p in models_dir.iterdir()] == [path.name]  # no work files left behind
    info = nudenet_int8.info(models_dir)
    sha = file_sha256(str(path))
    assert info.sha256 == sha and info.version.endswith(f"+{nudenet_int8.RECIPE}#{sha[:12]}")
    assert info.version.startswith(nudenet_onnx.info().version)
    assert info.settings["precision"] == "int8" and info.sha256 != nudenet_onnx.info().sha256
    # The package's own model is untouched: its hash is still the one NudeNet ships.
    assert file_sha256(nudenet_onnx.info().path) == nudenet_onnx.info().sha256


def test_every_machine_makes_the_same_bytes_from_the_shipped_ranges(
        models_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    import onnx
    from onnx import numpy_helper

    from sichter.classify.models import file_sha256

    ranges = nudenet_int8.shipped_ranges(nudenet_onnx.info().sha256)
    assert ranges is not None, "the installed NudeNet model has no shipped ranges"
    first = nudenet_int8.model_path(models_dir)
    again = nudenet_int8.model_path(tmp_path / "elsewhere")
    assert file_sha256(str(again)) == file_sha256(str(first))
    assert nudenet_int8.info(models_dir).settings["ranges"].startswith(ranges.name)

    # The copy's activation scales are the shipped ranges (uint8: (high - low) / 255).
    shipped = json.loads(ranges.read_text())["data"]
    model = onnx.load(str(first))
    scales = {i.name: float(numpy_helper.to_array(i)) for i in model.graph.initializer
              if i.name.endswith("_scale") and not i.dims}
    checked = 0
    for node in model.graph.node:
        if node.op_type == "QLinearConv" and node.output[0].endswith("_quantized"):
            tensor = node.output[0][: -len("_quantized")]
            low = min(0.0, shipped[tensor]["lowest"]["data"][0])
            high = max(0.0, shipped[tensor]["highest"]["data"][0])
            assert scales[node.input[6]] == pytest.approx((high - low) / 255, rel=1e-6)
            checked += 1
    assert checked > 30

    # A NudeNet model Sichter has no ranges for is calibrated on the machine instead.
    monkeypatch.setattr(nudenet_int8, "shipped_ranges", lambda sha: None)
    measured = nudenet_int8.model_path(tmp_path / "measured")
    assert measured.is_file() and [p.name for p in measured.parent.iterdir()] == [measured.name]


@pytest.mark.parametrize("name", PHOTOS)
def test_int8_detections_agree_with_fp32_on_benign_photos(models_dir: Path, name: str) -> None:
    im = sample(name).convert("RGB")
    im.thumbnail((512, 512))
    model = str(nudenet_int8.model_path(models_dir))
    fp32, int8 = nudenet_onnx.detect(im), nudenet_onnx.detect(im, model=model)
    a, b = nudenet_onnx.class_maxima(fp32), nudenet_onnx.class_maxima(int8)
    assert abs(explicit_score(a) - explicit_score(b)) <= 0.25
    faces = [any(d.label in nudenet_onnx.FACE_CLASSES and d.score >= 0.3 for d in dets)
             for dets in (fp32, int8)]
    assert faces[0] == faces[1]
    for label in nudenet_onnx.LABELS:
        if a[label] >= 0.4 and b[label] >= 0.4:
            assert abs(a[label] - b[label]) <= 0.2, label


def test_an_int8_ingest_records_the_int8_model_with_every_score(tmp_path: Path, home: Path) -> None:
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    for name in ("astronaut", "brick"):
        (evidence / f"{name}.jpg").write_bytes(encode(sample(name), "JPEG"))
    settings = load_settings(home, workers=1, user="tester",
                             triage={"detector_precision": "int8"})
    sessions = open_store(settings.effective_database_url)
    create_case(sessions, load_master_key(settings.home, settings.master_key), "q", None, "tester")
    ingest(settings, sessions, "q", [evidence])

    info = nudenet_int8.info(home / "models")
    rows = {r["path"].rsplit("/", 1)[-1]: r for r in records(sessions, "q")}
    assert {r["scores"]["models"]["nudenet"] for r in rows.values()} == {info.version}
    assert rows["astronaut.jpg"]["scores"]["youngest_band"] == "adult"
    with sessions() as s:
        registered = s.scalars(select(AIModel).where(AIModel.name == "nudenet")).one()
        assert registered.version == info.version and registered.sha256 == info.sha256
        assert registered.settings["precision"] == "int8"


def test_an_unknown_precision_is_refused(home: Path) -> None:
    with pytest.raises(ValueError, match="detector_precision"):
        load_settings(home, triage={"detector_precision": "int4"})


def test_a_home_where_the_model_cannot_be_made_gives_a_clear_error_per_image(
        tmp_path: Path, home: Path) -> None:
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    (evidence / "astronaut.jpg").write_bytes(encode(sample("astronaut"), "JPEG"))
    (home / "models").write_text("a file where the models directory should be")
    settings = load_settings(home, workers=1, user="tester", derived_models_dir=home / "models",
                             triage={"detector_precision": "int8"})
    sessions = open_store(settings.effective_database_url)
    create_case(sessions, load_master_key(settings.home, settings.master_key), "q", None, "tester")
    ingest(settings, sessions, "q", [evidence])
    (row,) = records(sessions, "q")
    assert row["sha256"] and row["pdq"]  # the photo's other facts are kept
    assert "int8 NudeNet detector" in row["scores"]["error"]
    assert row["reasons"][0]["reason"] == "unanalysed"
    assert "int8 NudeNet detector" in row["reasons"][0]["text"]


def test_sichter_models_lists_the_int8_copy_once_it_is_made(home: Path) -> None:
    from typer.testing import CliRunner

    from sichter.cli import app

    runner = CliRunner()
    env = {"SICHTER_TRIAGE__DETECTOR_PRECISION": "int8",
           "SICHTER_DERIVED_MODELS_DIR": str(home / "models")}
    before = runner.invoke(app, ["--home", str(home), "models"], env=env)
    assert before.exit_code == 0, before.output
    assert "int8 copy not made yet" in before.output
    assert not nudenet_int8.made(home / "models")  # listing never makes it
    lines = {line.split("\t")[0]: line for line in before.output.splitlines()}
    assert {"nudenet", "age", "landmarks5", "face_embedding"} <= set(lines)

    info = nudenet_int8.info(home / "models")
    after = runner.invoke(app, ["--home", str(home), "models"], env=env)
    assert f"nudenet\t{info.version}\t{info.sha256}\t(in use" in after.output
    fp32 = runner.invoke(app, ["--home", str(home), "models"],
                         env={"SICHTER_TRIAGE__DETECTOR_PRECISION": "fp32"})
    assert "int8" not in fp32.output
