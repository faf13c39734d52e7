"""NudeNet 3.4.2's bundled detector (``320n.onnx``, a YOLOv8n, AGPL-3.0) run directly through
onnxruntime on Sichter's already decoded analysis image.

Pre-processing is NudeNet's own: pad the image at the right and bottom to a black square,
resize to 320×320 (bilinear), scale to [0, 1], BGR channel order (what ``detect(path)``
effectively feeds), NCHW. Post-processing too: candidates
with a best class score ≥ 0.2, non-maximum suppression at score 0.25 / IoU 0.45. What
differs is only where the pixels come from: NudeNet's ``detect(path)`` decodes the whole file
again with OpenCV, Sichter reuses the draft-mode decode the pipeline made anyway.
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
        "input": INPUT_SIZE, "letterbox": "pad right/bottom to square, bilinear",
        "candidate_score": CANDIDATE_SCORE, "nms_score": NMS_SCORE, "nms_iou": NMS_IOU,
        "threads": 1})


@cache
def _session() -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    # One thread per worker: the pool gives the parallelism, extra threads only contend.
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    try:
        return ort.InferenceSession(info().path, sess_options=options,
                                    providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own untyped errors
        raise ModelUnavailable(f"cannot load the NudeNet detector: {exc}") from exc


def preprocess(image: Image.Image) -> tuple[np.ndarray, int]:
    """NudeNet's letterbox: the NCHW float input and the side of the padded square."""
    import cv2

    rgb = np.asarray(image.convert("RGB"))
    height, width = rgb.shape[:2]
    side = max(height, width)
    padded = np.zeros((side, side, 3), dtype=np.uint8)
    padded[:height, :width] = rgb
    resized = cv2.resize(padded, (INPUT_SIZE, INPUT_SIZE), interpolation=cv2.INTER_LINEAR)
    # NudeNet's detect(path) reads BGR, swaps to RGB (cvtColor RGBA2BGR on 3 channels) and then
    # swaps back (blobFromImage swapRB): the network effectively sees BGR. Keep that order.
    bgr = resized[:, :, ::-1]
    blob = bgr.astype(np.float32).transpose(2, 0, 1)[np.newaxis] * np.float32(1 / 255.0)
    return np.ascontiguousarray(blob), side


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


def detect(image: Image.Image) -> list[Detection]:
    """Body-part detections in an RGB image (any size; the analysis image is ≤ 512 px)."""
    session = _session()
    blob, side = preprocess(image)
    output = session.run(None, {session.get_inputs()[0].name: blob})[0]
    return postprocess(output, side, image.width, image.height)


def class_maxima(detections: list[Detection]) -> dict[str, float]:
    """Per-class maximum score, every class present (0.0 when not detected)."""
    maxima = dict.fromkeys(LABELS, 0.0)
    for d in detections:
        maxima[d.label] = max(maxima[d.label], round(d.score, 4))
    return maxima
