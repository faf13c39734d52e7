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


def test_a_broken_plugin_is_an_error_on_the_image_not_a_crash(tmp_path: Path) -> None:
    make_plugin(tmp_path, output="nonsense")
    decoded = DecodedImage(Image.new("RGB", (16, 16)), 16, 16, None, None)
    result = image_stage(decoded, replace(settings_with(tmp_path)))
    assert "AI models unavailable" in result["error"]
