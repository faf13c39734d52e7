"""Agency plug-in classifiers from a directory of ONNX models with manifests; the tiny model
is built by the test (mean colour → two logits), never downloaded."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image

from sichter.classify.models import ModelUnavailable
from sichter.classify.plugins import classify, load_plugins, read_manifest
from sichter.classify.stage import image_stage, score_image
from sichter.pipeline.analyse import AnalysisSettings
from sichter.signals.image import DecodedImage


def tiny_model(path: Path) -> None:
    """NCHW 1×3×8×8 → global average pool → 2 logits: logit(explicit) = 8·(red − 0.5)."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    weights = numpy_helper.from_array(np.array([[0, 0, 0], [8, 0, 0]], dtype=np.float32).T,
                                      "W")
    bias = numpy_helper.from_array(np.array([0, -4], dtype=np.float32), "B")
    shape = numpy_helper.from_array(np.array([1, 3], dtype=np.int64), "S")
    graph = helper.make_graph(
        [helper.make_node("GlobalAveragePool", ["x"], ["p"]),
         helper.make_node("Reshape", ["p", "S"], ["f"]),
         helper.make_node("Gemm", ["f", "W", "B"], ["y"])],
        "tiny", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2])], [weights, bias, shape])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    path.write_bytes(model.SerializeToString())


def make_plugin(root: Path, name: str = "redness", **overrides: object) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    tiny_model(folder / "model.onnx")
    manifest = {"name": name, "version": "1", "model": "model.onnx",
                "input": {"size": [8, 8], "mean": [0, 0, 0], "std": [1, 1, 1]},
                "output": "softmax", "labels": ["neutral", "explicit"],
                "scores": {"explicit": ["explicit"]}, **overrides}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


def settings_with(plugin_dir: Path) -> AnalysisSettings:
    return AnalysisSettings(case_id=1, data_key=b"\0" * 32,
                            options={"triage": {"plugin_dir": str(plugin_dir)}})


def test_plugin_scores_map_labels_and_raise_the_explicit_score(tmp_path: Path) -> None:
    make_plugin(tmp_path)
    red = score_image(Image.new("RGB", (64, 64), (255, 0, 0)), settings_with(tmp_path))
    blue = score_image(Image.new("RGB", (64, 64), (0, 0, 255)), settings_with(tmp_path))
    assert red["plugins"]["plugin:redness"]["scores"]["explicit"] > 0.95
    assert blue["plugins"]["plugin:redness"]["scores"]["explicit"] < 0.05
    assert red["explicit"] > 0.95 and blue["explicit"] < 0.05  # max with the built-in score
    assert red["models"]["plugin:redness"].startswith("1#")


def test_plugin_version_names_the_file_hash(tmp_path: Path) -> None:
    plugin = read_manifest(make_plugin(tmp_path))
    assert plugin.info.version == f"1#{plugin.info.sha256[:12]}"
    out = classify(plugin, Image.new("RGB", (10, 10), (128, 128, 128)))
    assert set(out["labels"]) == {"neutral", "explicit"}


@pytest.mark.parametrize(("override", "message"), [
    ({"scores": {"explicit": ["nope"]}}, "unknown labels"),
    ({"output": "logits?"}, "is not softmax"),
    ({"model": "../elsewhere.onnx"}, "outside the plug-in directory"),
    ({"labels": ["only-one"], "scores": {}}, "returned 2 values for 1 labels"),
])
def test_bad_plugins_fail_with_a_reason(tmp_path: Path, override: dict, message: str) -> None:
    make_plugin(tmp_path, **override)
    with pytest.raises(ModelUnavailable, match=message):
        for plugin in load_plugins(str(tmp_path)):
            classify(plugin, Image.new("RGB", (8, 8)))


def test_a_broken_plugin_is_said_on_the_image_and_the_built_in_scores_stand(
        tmp_path: Path) -> None:
    make_plugin(tmp_path, output="nonsense")
    decoded = DecodedImage(Image.new("RGB", (16, 16)), 16, 16, None, None)
    result = image_stage(decoded, replace(settings_with(tmp_path)))
    assert "error" not in result and result["explicit"] is not None
    assert "output 'nonsense'" in result["plugin_error"]


@pytest.mark.parametrize(("manifest", "message"), [
    ({"outputs": "softmax"}, "unknown key 'outputs'"),
    ({"scores": []}, "scores must map score names to lists of labels"),
    ({"labels": "ne", "scores": {}}, "labels must be a list"),
    ({"labels": ["a", "a"], "scores": {}}, "labels must be a list of distinct"),
    ({"version": ""}, "version must be a non-empty string"),
    ({"input": {"size": [0, 8]}}, "input size must be"),
    ({"input": {"size": [100000, 8]}}, "input size must be"),
    ({"input": {"size": "88"}}, "input size must be"),
    ({"input": {"size": [8, 8], "mean": [0, 0]}}, "mean and std need three finite numbers"),
    ({"input": {"size": [8, 8], "sizes": [8, 8]}}, "unknown input key 'sizes'"),
])
def test_manifest_mistakes_are_named(tmp_path: Path, manifest: dict, message: str) -> None:
    folder = make_plugin(tmp_path, **manifest)
    with pytest.raises(ModelUnavailable, match=message):
        read_manifest(folder)


def test_non_numbers_in_a_manifest_are_refused(tmp_path: Path) -> None:
    folder = make_plugin(tmp_path)
    text = (folder / "manifest.json").read_text().replace('"size": [8, 8]', '"size": [Infinity, 8]')
    (folder / "manifest.json").write_text(text)
    with pytest.raises(ModelUnavailable, match="Infinity is not a number JSON allows"):
        read_manifest(folder)


def test_two_plugins_with_one_name_are_refused(tmp_path: Path) -> None:
    make_plugin(tmp_path, name="a")
    folder = make_plugin(tmp_path, name="b")
    manifest = json.loads((folder / "manifest.json").read_text())
    (folder / "manifest.json").write_text(json.dumps({**manifest, "name": "a"}))
    with pytest.raises(ModelUnavailable, match="share a name: plugin:a"):
        load_plugins(str(tmp_path))


def test_a_model_answering_nan_or_infinity_scores_nothing(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import numpy as np

    from sichter.classify import plugins

    make_plugin(tmp_path)
    (plugin,) = load_plugins(str(tmp_path))
    for bad in (np.nan, np.inf):
        class Session:
            def get_inputs(self) -> list:  # noqa: D102
                return [type("I", (), {"name": "x"})()]

            def run(self, *_: object, bad: float = bad) -> list:  # noqa: D102
                return [np.array([[bad, 1.0]], dtype=np.float32)]

        monkeypatch.setattr(plugins, "_session", lambda path: Session())
        with pytest.raises(ValueError, match="not a finite number"):
            classify(plugin, Image.new("RGB", (8, 8)))
        result = score_image(Image.new("RGB", (16, 16), (200, 10, 10)), settings_with(tmp_path))
        assert "not a finite number" in result["plugins"]["plugin:redness"]["error"]
        assert result["explicit"] < 0.5 and "explicit_source" not in result


def test_the_plugin_that_raised_the_explicit_score_is_named(tmp_path: Path) -> None:
    make_plugin(tmp_path)
    result = score_image(Image.new("RGB", (16, 16), (255, 0, 0)), settings_with(tmp_path))
    assert result["explicit"] > 0.9 and result["explicit_source"] == "plugin:redness"


@pytest.mark.slow
def test_ingest_credits_and_registers_plugins_and_warns_when_one_fails(
        tmp_path: Path, sqlite_settings) -> None:  # noqa: ANN001
    from sqlalchemy import select

    from sichter.classify.video_synth import write_video
    from sichter.demo.photos import encode, sample
    from sichter.pipeline.ingest import ingest
    from sichter.report.export import records
    from sichter.store.ai_models import AIModel
    from sichter.store.cases import create_case
    from sichter.store.crypto import load_master_key
    from sichter.store.db import open_store

    plugins_dir = tmp_path / "plugins"
    good = make_plugin(plugins_dir, "redness")
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    (evidence / "red.png").write_bytes(encode(Image.new("RGB", (64, 64), (255, 0, 0)), "PNG"))
    (evidence / "astronaut.jpg").write_bytes(encode(sample("astronaut"), "JPEG"))
    (evidence / "clip.mp4").write_bytes(write_video([(Image.new("RGB", (64, 48), (250, 0, 0)),
                                                      2.0)]))
    settings = sqlite_settings.model_copy(update={
        "workers": 1, "triage": sqlite_settings.triage.model_copy(update={
            "plugin_dir": plugins_dir})})
    sessions = open_store(settings.effective_database_url)
    create_case(sessions, load_master_key(settings.home, None), "p", None, "tester")
    summary = ingest(settings, sessions, "p", [evidence])
    assert not [w for w in summary.warnings if "plug-in" in w]
    rows = {r["path"].rsplit("/", 1)[-1]: r for r in records(sessions, "p")}
    red = rows["red.png"]
    assert red["scores"]["explicit_source"] == "plugin:redness"
    assert any("from plugin:redness" in r.get("text", "") for r in red["reasons"])
    assert rows["clip.mp4"]["scores"]["plugins"]["plugin:redness"]["explicit"] > 0.9
    with sessions() as s:
        row = s.scalars(select(AIModel).where(AIModel.name == "plugin:redness")).one()
    (info,) = [p.info for p in load_plugins(str(plugins_dir))]
    assert row.sha256 == info.sha256 and len(row.sha256) == 64 and row.settings["labels"]

    # A plug-in that fails on every image: the built-in scores stand and the ingest says so.
    (good / "model.onnx").write_bytes(b"not an onnx model")
    load_plugins.cache_clear()
    from sichter.classify import plugins as plugins_mod

    plugins_mod._session.cache_clear()
    create_case(sessions, load_master_key(settings.home, None), "q", None, "tester")
    summary = ingest(settings, sessions, "q", [evidence])
    assert any("plug-in problem on" in w and "cannot be loaded" in w for w in summary.warnings)
    rows = {r["path"].rsplit("/", 1)[-1]: r for r in records(sessions, "q")}
    astro = rows["astronaut.jpg"]
    assert astro["scores"]["youngest_band"] == "adult" and astro["priority"] > 0
    assert "cannot be loaded" in astro["scores"]["plugin_errors"]["plugin:redness"]


@pytest.mark.parametrize("args", [["--explicit-threshold", "2"], ["--explicit-threshold", "nan"],
                                  ["--age-margin", "-3"], ["--age-margin", "inf"]])
def test_rescore_refuses_settings_out_of_range_in_one_line(sqlite_settings, args: list[str]) -> None:  # noqa: ANN001
    from typer.testing import CliRunner

    from sichter.cli import app
    from sichter.store.cases import create_case
    from sichter.store.crypto import load_master_key
    from sichter.store.db import open_store

    sessions = open_store(sqlite_settings.effective_database_url)
    create_case(sessions, load_master_key(sqlite_settings.home, None), "r", None, "tester")
    result = CliRunner().invoke(app, ["--home", str(sqlite_settings.home), "rescore", "r", *args])
    assert result.exit_code == 2, result.output
    assert "invalid setting" in result.output and "Traceback" not in result.output
    env = CliRunner().invoke(app, ["--home", str(sqlite_settings.home), "rescore", "r"],
                             env={"SICHTER_TRIAGE__EXPLICIT_THRESHOLD": "2"})
    assert env.exit_code == 2 and "explicit_threshold" in env.output


def test_sichter_models_loads_each_plugin_and_names_a_broken_one(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from sichter.cli import app

    folder = make_plugin(tmp_path / "plugins")
    env = {"SICHTER_TRIAGE__PLUGIN_DIR": str(tmp_path / "plugins")}
    ok = CliRunner().invoke(app, ["--home", str(tmp_path / "home"), "models"], env=env)
    assert ok.exit_code == 0 and "plugin:redness\t1#" in ok.output
    (folder / "model.onnx").write_bytes(b"")
    from sichter.classify import plugins as plugins_mod

    load_plugins.cache_clear()  # a new process would start without them
    plugins_mod._session.cache_clear()
    broken = CliRunner().invoke(app, ["--home", str(tmp_path / "home"), "models"], env=env)
    assert broken.exit_code == 2 and "cannot be loaded" in broken.output
