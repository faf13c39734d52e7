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
suppression at score 0.25 / IoU 0.45. The network's last layers turn every candidate's box
distribution (YOLOv8's DFL: 4 sides × 16 bins) into a box — about 1,500 candidates, of which
a handful pass 0.2. The session stops before them (raw distributions and class
probabilities) and ``decode_boxes`` finishes only the candidates kept, with the same
arithmetic in numpy: 8 % less detector time, detections equal to the full graph's within
float rounding (tests/classify/test_detector_speed.py). NudeNet's ``detect(path)`` decodes
the whole file again with OpenCV; Sichter reuses the draft-mode decode the pipeline made.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

import numpy as np
from PIL import Image

from sichter.classify.models import ModelInfo, ModelUnavailable, model_info, packaged_file
from sichter.signals.image import rgb_pixels

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
# The tensors the truncated graph ends at (names in 320n.onnx): box distributions [1, 64, N]
# and class probabilities [1, 18, N].
HEAD_OUTPUTS = ("/model.22/Split_1_output_0", "/model.22/Sigmoid_output_0")
LEVEL_STRIDES = (8, 16, 32)
DFL_BINS = 16


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
def _session(full_graph: bool = False, model: str | None = None) -> Any:
    """The detector session; by default the graph truncated before its box decoding (see the
    module docstring). ``full_graph`` runs NudeNet's graph unchanged (parity tests); ``model``
    is a file with the truncated graph's inputs and outputs (the int8 copy, nudenet_int8)."""
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
        graph = model or (info().path if full_graph else _truncated_graph(info().path))
        return ort.InferenceSession(graph, sess_options=options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime and onnx raise their own untyped errors
        raise ModelUnavailable(f"cannot load the NudeNet detector: {exc}") from exc


def _truncated_graph(path: str) -> bytes:
    import onnx
    import onnx.utils

    model = onnx.load(path)
    head: bytes = onnx.utils.Extractor(model).extract_model(
        [model.graph.input[0].name], list(HEAD_OUTPUTS)).SerializeToString()
    return head


@lru_cache(maxsize=64)
def _anchors(height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """YOLOv8's anchor points (cell centres, in cells) [2, N] and their strides [N] for an
    input of ``height`` × ``width``: level by level (stride 8, 16, 32), rows then columns."""
    points, strides = [], []
    for stride in LEVEL_STRIDES:
        ys, xs = np.mgrid[0:height // stride, 0:width // stride].astype(np.float32) + 0.5
        points.append(np.stack([xs.ravel(), ys.ravel()]))
        strides.append(np.full(xs.size, stride, dtype=np.float32))
    return np.concatenate(points, axis=1), np.concatenate(strides)


def decode_boxes(distributions: np.ndarray, indices: np.ndarray, height: int,
                 width: int) -> np.ndarray:
    """Boxes [k, 4] as centre x, centre y, width, height in input pixels for the candidates
    ``indices``, from the raw box distributions [64, N] of an input of ``height`` × ``width``
    (what the graph's DFL softmax, 1×1 conv and anchor arithmetic compute)."""
    logits = distributions[:, indices].reshape(4, DFL_BINS, -1)
    weights = np.exp(logits - logits.max(axis=1, keepdims=True))
    weights /= weights.sum(axis=1, keepdims=True)
    left_top_right_bottom = np.tensordot(np.arange(DFL_BINS, dtype=np.float32), weights, (0, 1))
    points, strides = _anchors(height, width)
    anchor, stride = points[:, indices], strides[indices]
    top_left = anchor - left_top_right_bottom[:2]
    bottom_right = anchor + left_top_right_bottom[2:]
    centre, size = (top_left + bottom_right) / 2, bottom_right - top_left
    boxes: np.ndarray = (np.concatenate([centre, size]) * stride).T
    return boxes


def preprocess(image: Image.Image | np.ndarray, letterbox: str = "square") -> tuple[np.ndarray, int]:
    """The NCHW float input for ``letterbox`` (see the module docstring) and the long side of
    the image, which maps the network's 320 px back to image pixels."""
    import cv2

    rgb = rgb_pixels(image)
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
    """Detections from the full graph's output [1, 4 + classes, candidates]."""
    rows = np.squeeze(output, axis=0).T
    return _select(rows[:, 4:], lambda kept: rows[kept, :4], side, width, height)


def postprocess_head(distributions: np.ndarray, probabilities: np.ndarray,
                     blob_shape: tuple[int, ...], side: int, width: int,
                     height: int) -> list[Detection]:
    """Detections from the truncated graph's outputs (see ``HEAD_OUTPUTS``) for an input blob
    of ``blob_shape`` (N, C, H, W)."""
    dist = np.squeeze(distributions, axis=0)
    return _select(np.squeeze(probabilities, axis=0).T,
                   lambda kept: decode_boxes(dist, kept, blob_shape[2], blob_shape[3]),
                   side, width, height)


def _select(class_scores: np.ndarray, boxes_of: Any, side: int, width: int,
            height: int) -> list[Detection]:
    """NudeNet's selection: candidates whose best class reaches ``CANDIDATE_SCORE``, their
    boxes (``boxes_of(indices)``: centre x, centre y, width, height in network pixels) mapped
    back to the image, then non-maximum suppression."""
    import cv2

    best = class_scores.max(axis=1)
    kept = np.flatnonzero(best >= CANDIDATE_SCORE)
    if not kept.size:
        return []
    best = best[kept]
    class_ids = class_scores[kept].argmax(axis=1)
    scale = side / INPUT_SIZE
    cx, cy, w, h = (column * scale for column in np.asarray(boxes_of(kept)).T)
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


def detect(image: Image.Image | np.ndarray, letterbox: str = "rect",
           model: str | None = None) -> list[Detection]:
    """Body-part detections in an RGB image or pixel array (any size; the analysis image is
    ≤ 512 px); ``model`` as in ``_session``."""
    session = _session(model=model)
    rgb = rgb_pixels(image)
    blob, side = preprocess(rgb, letterbox)
    distributions, probabilities = session.run(None, {session.get_inputs()[0].name: blob})
    return postprocess_head(distributions, probabilities, blob.shape, side, rgb.shape[1],
                            rgb.shape[0])


def detect_full_graph(image: Image.Image, letterbox: str = "rect") -> list[Detection]:
    """``detect`` through NudeNet's unmodified graph (its own box decoding)."""
    session = _session(full_graph=True)
    blob, side = preprocess(image, letterbox)
    output = session.run(None, {session.get_inputs()[0].name: blob})[0]
    return postprocess(output, side, image.width, image.height)


def class_maxima(detections: list[Detection]) -> dict[str, float]:
    """Per-class maximum score, every class present (0.0 when not detected)."""
    maxima = dict.fromkeys(LABELS, 0.0)
    for d in detections:
        maxima[d.label] = max(maxima[d.label], round(d.score, 4))
    return maxima
