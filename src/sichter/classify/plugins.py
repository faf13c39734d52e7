"""Agency plug-in classifiers: any ONNX image classifier with a small manifest.

``<triage.plugin_dir>/<name>/manifest.json``::

    {"name": "agency-x", "version": "2024-05", "model": "model.onnx",
     "input": {"size": [224, 224], "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225],
               "channels": "RGB", "layout": "NCHW"},
     "output": "softmax",                  # or "sigmoid", or "probabilities" (already scaled)
     "labels": ["neutral", "explicit"],
     "scores": {"explicit": ["explicit"]}} # score name -> labels whose probabilities add up

Pixels are scaled to [0, 1], resized to ``size`` (width, height; bilinear), then
``(x - mean) / std`` per channel. A mapped score named ``explicit`` is combined with the
built-in explicit score by taking the maximum; other mapped scores are reported as they are.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from sichter.classify.models import ModelInfo, ModelUnavailable, file_sha256


@dataclass(frozen=True)
class Plugin:
    info: ModelInfo
    size: tuple[int, int]
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    bgr: bool
    nhwc: bool
    output: str
    labels: tuple[str, ...]
    scores: dict[str, tuple[str, ...]]


def read_manifest(directory: Path) -> Plugin:
    """A validated plug-in from its directory; ModelUnavailable says what is wrong."""
    path = directory / "manifest.json"
    try:
        m = json.loads(path.read_text(encoding="utf-8"))
        name, version = str(m["name"]), str(m["version"])
        model = directory / str(m["model"])
        inp = m["input"]
        size = (int(inp["size"][0]), int(inp["size"][1]))
        mean = tuple(float(v) for v in inp.get("mean", (0.0, 0.0, 0.0)))
        std = tuple(float(v) for v in inp.get("std", (1.0, 1.0, 1.0)))
        labels = tuple(str(v) for v in m["labels"])
        scores = {str(k): tuple(str(v) for v in vs) for k, vs in m.get("scores", {}).items()}
        output = str(m.get("output", "probabilities"))
        channels, layout = str(inp.get("channels", "RGB")), str(inp.get("layout", "NCHW"))
    except (OSError, ValueError, KeyError, TypeError, IndexError) as exc:
        raise ModelUnavailable(f"plug-in {directory.name}: bad manifest.json ({exc})") from exc
    problems = []
    if len(mean) != 3 or len(std) != 3 or not all(s > 0 for s in std):
        problems.append("mean and std need three values, std > 0")
    if output not in ("softmax", "sigmoid", "probabilities"):
        problems.append(f"output {output!r} is not softmax, sigmoid or probabilities")
    if channels not in ("RGB", "BGR") or layout not in ("NCHW", "NHWC"):
        problems.append("channels must be RGB or BGR, layout NCHW or NHWC")
    unknown = {lab for labs in scores.values() for lab in labs} - set(labels)
    if unknown:
        problems.append(f"scores name unknown labels {sorted(unknown)}")
    if not model.is_file() or not model.resolve().is_relative_to(directory.resolve()):
        problems.append(f"model file {m['model']!r} missing or outside the plug-in directory")
    if problems:
        raise ModelUnavailable(f"plug-in {directory.name}: " + "; ".join(problems))
    settings = {"input": inp, "output": output, "labels": list(labels),
                "scores": {k: list(v) for k, v in scores.items()}}
    sha = file_sha256(str(model))
    info = ModelInfo(f"plugin:{name}", f"{version}#{sha[:12]}", sha, str(model), settings)
    return Plugin(info, size, mean, std, channels == "BGR", layout == "NHWC", output,  # type: ignore[arg-type]
                  labels, scores)


@cache
def load_plugins(plugin_dir: str | None) -> tuple[Plugin, ...]:
    """Every plug-in in the directory (sorted by name), validated once per process."""
    if not plugin_dir:
        return ()
    root = Path(plugin_dir)
    if not root.is_dir():
        raise ModelUnavailable(f"plug-in directory {root} does not exist")
    return tuple(read_manifest(d) for d in sorted(root.iterdir())
                 if (d / "manifest.json").is_file())


@cache
def _session(path: str) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    try:
        return ort.InferenceSession(path, sess_options=options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime's exception types are not public API
        raise ModelUnavailable(f"plug-in model {path} cannot be loaded: {exc}") from exc


def classify(plugin: Plugin, image: Image.Image) -> dict[str, Any]:
    """Label probabilities and mapped scores of one image."""
    x: np.ndarray = np.asarray(image.convert("RGB").resize(plugin.size, Image.Resampling.BILINEAR),
                               dtype=np.float32) / np.float32(255.0)
    if plugin.bgr:
        x = x[:, :, ::-1]
    x = (x - np.asarray(plugin.mean, np.float32)) / np.asarray(plugin.std, np.float32)
    batch = x[np.newaxis] if plugin.nhwc else x.transpose(2, 0, 1)[np.newaxis]
    session = _session(plugin.info.path)
    try:
        raw = np.asarray(session.run(None, {session.get_inputs()[0].name:
                                            np.ascontiguousarray(batch, np.float32)})[0],
                         dtype=np.float64).reshape(-1)
    except Exception as exc:  # a shape mismatch is the manifest's fault, say so
        raise ModelUnavailable(f"{plugin.info.name} failed: {exc}") from exc
    if raw.size != len(plugin.labels):
        raise ModelUnavailable(f"{plugin.info.name} returned {raw.size} values for "
                               f"{len(plugin.labels)} labels")
    if plugin.output == "softmax":
        e = np.exp(raw - raw.max())
        probs = np.asarray(e / e.sum(), dtype=np.float64)
    elif plugin.output == "sigmoid":
        probs = np.asarray(1.0 / (1.0 + np.exp(-raw)), dtype=np.float64)
    else:
        probs = np.clip(raw, 0.0, 1.0)
    by_label = {lab: round(float(p), 4) for lab, p in zip(plugin.labels, probs, strict=True)}
    scores = {name: round(min(1.0, sum(by_label[lab] for lab in labs)), 4)
              for name, labs in plugin.scores.items()}
    return {"labels": by_label, "scores": scores}
