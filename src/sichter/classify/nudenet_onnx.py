"""NudeNet 3.4.2's bundled detector (``320n.onnx``, a YOLOv8n, AGPL-3.0) run directly through
onnxruntime on Sichter's already decoded analysis image.

Two letterboxes (``triage.detector_letterbox``), both scaling the long side to 320 px
(bilinear), [0, 1], BGR channel order (what ``detect(path)`` effectively feeds), NCHW:

- ``square``: NudeNet's own — pad at the right and bottom to a black square, then resize to
  320×320. Bit-for-bit NudeNet's input (the parity tests use it).
- ``rect`` (default): resize first, then pad only up to the next multiple of 32 (the network's
  stride; its input height and width are dynamic). A 3:2 photo becomes 320×224 instead of
  320×320: about 20 % less detector time (bench/RESULTS.md), scores within the drift measured
  there and checked by tests/classify/test_detector_speed.py.

Post-processing is NudeNet's: candidates with a best class score ≥ 0.2, non-maximum
suppression at score 0.25 / IoU 0.45. NudeNet's ``detect(path)`` decodes the whole file again
with OpenCV; Sichter reuses the draft-mode decode the pipeline made anyway.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
from PIL import Image

from sichter.classify.models import ModelInfo, ModelUnavailable, model_info, packaged_file

LABELS = (
    "FEMALE_GENITALIA_COVERED", "FACE_FEMALE", "BUTTOCKS_EXPOSED", "FEMALE_BREAST_EXPOSED",
    "FEMALE_GENITALIA_EXPOSED", "MALE_BREAST_EXPOSED", "ANUS_EXPOSED", "FEET_EXPOSED",
    "BELLY_COVERED", "FEET_COVERED", "ARMPITS_COVERED", "ARMPITS_EXPOSED", "FACE_MALE",
    "BELLY_EXPOSED", "MALE_GENITALIA_EXPOSED", "ANUS_COVERED", "FEMALE_BREAST_COVERED",
    "BUTTOCKS_COVERED",
)
FACE_CLASSES = ("FACE_FEMALE", "FACE_MALE")
INPUT_SIZE = 320
CANDIDATE_SCORE = 0.2
NMS_SCORE = 0.25
NMS_IOU = 0.45
NAME = "nudenet"
STRIDE = 32
LETTERBOXES = ("rect", "square")


@dataclass(frozen=True)
class Detection:
    """One detected body part; ``box`` is [x, y, w, h] as fractions of the image size."""

    label: str
    score: float
    box: tuple[float, float, float, float]

    def record(self) -> dict[str, Any]:
        return {"class": self.label, "score": round(self.score, 4),
                "box": [round(v, 4) for v in self.box]}


@cache
def info() -> ModelInfo:
    path = packaged_file("nudenet", "320n.onnx")
    return model_info(NAME, "nudenet", path, {
        "input": INPUT_SIZE, "letterbox": "long side to 320 px, bilinear, pad right/bottom: "
                                          "'square' to 320x320 or 'rect' to a multiple of 32 "
                                          "(triage.detector_letterbox, recorded per run)",
        "candidate_score": CANDIDATE_SCORE, "nms_score": NMS_SCORE, "nms_iou": NMS_IOU,
        "threads": 1})


@cache
def _session() -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    # One thread per worker: the pool gives the parallelism, extra threads only contend.
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    # Full graph optimisation (conv+activation fusion, NCHWc layouts): basic alone measured
    # twice as slow. The arena keeps buffers between runs of varying input shapes.
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.enable_cpu_mem_arena = True
    try:
        return ort.InferenceSession(info().path, sess_options=options,
                                    providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own untyped errors
        raise ModelUnavailable(f"cannot load the NudeNet detector: {exc}") from exc


def preprocess(image: Image.Image, letterbox: str = "square") -> tuple[np.ndarray, int]:
    """The NCHW float input for ``letterbox`` (see the module docstring) and the long side of
    the image, which maps the network's 320 px back to image pixels."""
    import cv2

    rgb = np.asarray(image if image.mode == "RGB" else image.convert("RGB"))
    height, width = rgb.shape[:2]
    side = max(height, width)
    if letterbox == "square":
        padded = np.zeros((side, side, 3), dtype=np.uint8)
        padded[:height, :width] = rgb
        resized = cv2.resize(padded, (INPUT_SIZE, INPUT_SIZE), interpolation=cv2.INTER_LINEAR)
        blob = np.empty((1, 3, INPUT_SIZE, INPUT_SIZE), dtype=np.float32)
    elif letterbox == "rect":
        scale = INPUT_SIZE / side
        new_w, new_h = max(1, round(width * scale)), max(1, round(height * scale))
        resized = cv2.resize(rgb, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
        blob = np.zeros((1, 3, -(-new_h // STRIDE) * STRIDE, -(-new_w // STRIDE) * STRIDE),
                        dtype=np.float32)
    else:
        raise ValueError(f"unknown letterbox {letterbox!r} (expected one of {LETTERBOXES})")
    h, w = resized.shape[:2]
    # NudeNet's detect(path) reads BGR, swaps to RGB (cvtColor RGBA2BGR on 3 channels) and then
    # swaps back (blobFromImage swapRB): the network effectively sees BGR. One fused pass does
    # the channel swap, HWC -> CHW, the conversion to float and the scaling into the blob.
    np.multiply(resized.transpose(2, 0, 1)[::-1], np.float32(1 / 255.0),
                out=blob[0, :, :h, :w], casting="unsafe")
    return blob, side


def postprocess(output: np.ndarray, side: int, width: int, height: int) -> list[Detection]:
    """Detections from the raw model output [1, 4 + classes, candidates]."""
    import cv2

    rows = np.squeeze(output, axis=0).T
    class_scores = rows[:, 4:]
    best = class_scores.max(axis=1)
    keep = best >= CANDIDATE_SCORE
    if not keep.any():
        return []
    rows, best = rows[keep], best[keep]
    class_ids = class_scores[keep].argmax(axis=1)
    scale = side / INPUT_SIZE
    cx, cy, w, h = (rows[:, i] * scale for i in range(4))
    x = np.clip(cx - w / 2, 0, width)
    y = np.clip(cy - h / 2, 0, height)
    w = np.minimum(w, width - x)
    h = np.minimum(h, height - y)
    boxes = np.stack([x, y, w, h], axis=1)
    indices = cv2.dnn.NMSBoxes(boxes.tolist(), best.tolist(), NMS_SCORE, NMS_IOU)
    out = []
    for i in np.asarray(indices).reshape(-1):
        bx, by, bw, bh = boxes[i]
        out.append(Detection(LABELS[int(class_ids[i])], float(best[i]),
                             (float(bx / width), float(by / height), float(bw / width),
                              float(bh / height))))
    return out


def detect(image: Image.Image, letterbox: str = "rect") -> list[Detection]:
    """Body-part detections in an RGB image (any size; the analysis image is ≤ 512 px)."""
    session = _session()
    blob, side = preprocess(image, letterbox)
    output = session.run(None, {session.get_inputs()[0].name: blob})[0]
    return postprocess(output, side, image.width, image.height)


def class_maxima(detections: list[Detection]) -> dict[str, float]:
    """Per-class maximum score, every class present (0.0 when not detected)."""
    maxima = dict.fromkeys(LABELS, 0.0)
    for d in detections:
        maxima[d.label] = max(maxima[d.label], round(d.score, 4))
    return maxima
