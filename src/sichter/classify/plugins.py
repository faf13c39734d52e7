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
import math
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


MANIFEST_KEYS = {"name", "version", "model", "input", "output", "labels", "scores",
                 "description", "licence", "license"}
INPUT_KEYS = {"size", "mean", "std", "channels", "layout"}
MAX_SIZE = 4096  # input side in pixels; a typo of 100000 would ask for 120 GB per image


def read_manifest(directory: Path) -> Plugin:
    """A validated plug-in from its directory; ModelUnavailable says what is wrong. Unknown
    keys are errors: a misspelt ``"outputs"`` would otherwise silently change the scores."""
    path = directory / "manifest.json"
    try:
        m = json.loads(path.read_text(encoding="utf-8-sig"), parse_constant=_no_constant)
    except (OSError, ValueError) as exc:
        raise ModelUnavailable(f"plug-in {directory.name}: bad manifest.json ({exc})") from exc
    problems: list[str] = []
    if not isinstance(m, dict):
        raise ModelUnavailable(f"plug-in {directory.name}: manifest.json is not a JSON object")
    inp = m.get("input")
    if not isinstance(inp, dict):
        raise ModelUnavailable(f"plug-in {directory.name}: manifest.json needs an 'input' object")
    problems += [f"unknown key {k!r}" for k in sorted(set(m) - MANIFEST_KEYS)]
    problems += [f"unknown input key {k!r}" for k in sorted(set(inp) - INPUT_KEYS)]
    name, version, model_name = m.get("name"), m.get("version"), m.get("model")
    for key, value in (("name", name), ("version", version), ("model", model_name)):
        if not isinstance(value, str) or not value.strip():
            problems.append(f"{key} must be a non-empty string")
    size = inp.get("size")
    if not (isinstance(size, list) and len(size) == 2 and all(_is_int(v) and 1 <= v <= MAX_SIZE
                                                              for v in size)):
        problems.append(f"input size must be [width, height], whole numbers 1..{MAX_SIZE}")
    mean, std = inp.get("mean", [0.0, 0.0, 0.0]), inp.get("std", [1.0, 1.0, 1.0])
    if not (_numbers(mean, 3) and _numbers(std, 3) and all(v > 0 for v in std)):
        problems.append("mean and std need three finite numbers, std > 0")
    labels = m.get("labels")
    if not (isinstance(labels, list) and labels and all(isinstance(v, str) and v for v in labels)
            and len(set(labels)) == len(labels)):
        problems.append("labels must be a list of distinct non-empty strings")
        labels = []
    scores = m.get("scores", {})
    if not (isinstance(scores, dict) and all(
            isinstance(v, list) and all(isinstance(x, str) for x in v) for v in scores.values())):
        problems.append("scores must map score names to lists of labels")
        scores = {}
    output = m.get("output", "probabilities")
    if output not in ("softmax", "sigmoid", "probabilities"):
        problems.append(f"output {output!r} is not softmax, sigmoid or probabilities")
    channels, layout = inp.get("channels", "RGB"), inp.get("layout", "NCHW")
    if channels not in ("RGB", "BGR") or layout not in ("NCHW", "NHWC"):
        problems.append("channels must be RGB or BGR, layout NCHW or NHWC")
    unknown = {lab for labs in scores.values() for lab in labs} - set(labels)
    if unknown:
        problems.append(f"scores name unknown labels {sorted(unknown)}")
    model = directory / model_name if isinstance(model_name, str) and "\0" not in model_name \
        else None
    try:
        inside = model is not None and model.is_file() and model.resolve().is_relative_to(
            directory.resolve())
    except (OSError, ValueError):
        inside = False
    if not inside:
        problems.append(f"model file {model_name!r} missing or outside the plug-in directory")
    if problems:
        raise ModelUnavailable(f"plug-in {directory.name}: " + "; ".join(problems))
    assert model is not None and isinstance(size, list)
    settings = {"input": inp, "output": output, "labels": list(labels),
                "scores": {k: list(v) for k, v in scores.items()}}
    sha = file_sha256(str(model))
    info = ModelInfo(f"plugin:{name}", f"{version}#{sha[:12]}", sha, str(model), settings)
    return Plugin(info, (int(size[0]), int(size[1])), tuple(float(v) for v in mean),  # type: ignore[arg-type]
                  tuple(float(v) for v in std), channels == "BGR", layout == "NHWC",  # type: ignore[arg-type]
                  str(output), tuple(labels), {str(k): tuple(v) for k, v in scores.items()})


def _no_constant(token: str) -> Any:
    raise ValueError(f"{token} is not a number JSON allows")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _numbers(values: Any, count: int) -> bool:
    return (isinstance(values, list) and len(values) == count
            and all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
                    for v in values))


@cache
def load_plugins(plugin_dir: str | None) -> tuple[Plugin, ...]:
    """Every plug-in in the directory (sorted by folder), validated once per process; two
    with one name are an error (a score would be credited to the wrong model)."""
    if not plugin_dir:
        return ()
    root = Path(plugin_dir)
    if not root.exists():
        raise ModelUnavailable(f"plug-in directory {root} does not exist")
    if not root.is_dir():
        raise ModelUnavailable(f"plug-in directory {root} is not a folder")
    found = tuple(read_manifest(d) for d in sorted(root.iterdir())
                  if (d / "manifest.json").is_file())
    names = [p.info.name for p in found]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ModelUnavailable(f"plug-ins in {root} share a name: {', '.join(twice)}")
    return found


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
    if not np.all(np.isfinite(raw)):  # NaN would pass min(1.0, nan) as a certain 1.0
        raise ValueError(f"{plugin.info.name} returned a value that is not a finite number")
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
