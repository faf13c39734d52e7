"""An int8 copy of the NudeNet detector: ``triage.detector_precision = "int8"``, the default.

About half the detector's CPU time (bench/RESULTS.md: 18.6 -> 8.3 ms per photo with AVX-512
VNNI), at a measured cost in score agreement with the fp32 model on benign photos: per-class
scores move by about 0.04 on average, weak detections near the 0.2 candidate score come and go
(bench/RESULTS.md has the numbers). Its calibration can only use benign photos, so activations
that explicit material drives beyond their range are clipped, which no test here can measure;
so every case measures it instead: a reproducible share of its images is also scored by the
fp32 model (``triage.precision_check``, sichter.triage.precision), and the ingest warns when
the two disagree across a threshold. ``detector_precision = "fp32"`` runs the model itself.

The copy is made on this machine, never downloaded: the truncated fp32 graph
(nudenet_onnx.HEAD_OUTPUTS) quantised by onnxruntime's static quantiser (QOperator format,
int8 weights per channel, uint8 activations; the class sigmoid, the first convolution and
the six logit convolutions stay float) with the activation ranges Sichter ships for that
model (``data/``: min/max over scikit-image's bundled photos, their 90° rotations and centre
crops), so every machine with the same onnxruntime makes the same bytes; for another model
the ranges are measured on the machine the same way. It is cached
in the derived-models folder (``<home>/models/`` unless ``derived_models_dir`` names
another); its version names the fp32 model, this recipe and the copy's own
SHA-256, so every score says which bytes produced it even if two machines' copies differ.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

from sichter.classify import nudenet_onnx
from sichter.classify.models import ModelInfo, ModelUnavailable, file_sha256

RECIPE = "int8-q3"  # change when the recipe changes: a new file name, a new version
RANGES_DIR = Path(__file__).with_name("data")


def _path(cache_dir: Path) -> Path:
    return cache_dir / f"nudenet-320n-{nudenet_onnx.info().sha256[:12]}-{RECIPE}.onnx"


def made(cache_dir: Path) -> bool:
    """Whether this recipe's copy of the installed model is already in ``cache_dir``."""
    return _path(cache_dir).is_file()


def model_path(cache_dir: Path) -> Path:
    """The cached int8 model, made first if it is not there yet (two processes may race:
    each writes its own temporary file and renames it into place)."""
    source = nudenet_onnx.info()
    path = _path(cache_dir)
    if path.is_file():
        return path
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=cache_dir, prefix=".quantising-") as tmp:
            work = Path(tmp)
            _quantise(source, work)
            os.replace(work / "int8.onnx", path)
    except Exception as exc:  # a home that cannot be written; onnx / onnxruntime errors
        raise ModelUnavailable(f"cannot make the int8 NudeNet detector in {cache_dir}: "
                               f"{type(exc).__name__}: {exc}") from exc
    return path


@cache
def info(cache_dir: Path) -> ModelInfo:
    path = model_path(cache_dir)
    source = nudenet_onnx.info()
    sha = file_sha256(str(path))
    ranges = shipped_ranges(source.sha256)
    return ModelInfo(source.name, f"{source.version}+{RECIPE}#{sha[:12]}", sha, str(path),
                     {**source.settings, "precision": "int8", "recipe": RECIPE,
                      "source_sha256": source.sha256,
                      "quantisation": "onnxruntime quantize_static, QOperator, per-channel "
                                      "int8 weights, uint8 activations, min/max calibration "
                                      "on scikit-image's sample photos; class sigmoid, first "
                                      "conv and the six logit convs in float",
                      "ranges": (f"{ranges.name} sha256 {file_sha256(str(ranges))}" if ranges
                                 else "measured on this machine")})


def _quantise(source: ModelInfo, work: Path) -> None:
    import onnx
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static

    prepared = _prepared(source.path, work)
    # Kept in float: the class sigmoid, the first convolution (raw pixels in) and the six
    # last 1x1 convolutions that produce box and class logits; quantising those moved the
    # scores by half as much again (per-class |d| 0.056 vs 0.037) at no measurable speed.
    float_nodes = [n.name for n in onnx.load(str(prepared)).graph.node
                   if (n.op_type == "Sigmoid" and n.name.startswith("/model.22/"))
                   or n.name.startswith("/model.0/")
                   or (n.op_type == "Conv" and n.name.startswith("/model.22/")
                       and n.name.endswith(".2/Conv"))]
    ranges = shipped_ranges(source.sha256)
    if ranges is None:  # another NudeNet model than the one the ranges were measured on
        ranges = work / "ranges.json"
        calibrate(prepared, ranges, work)
    # The quantiser logs a warning on the root logger for every shape tensor it leaves alone.
    logging.disable(logging.WARNING)
    try:
        quantize_static(str(prepared), str(work / "int8.onnx"), None,
                        quant_format=QuantFormat.QOperator, per_channel=True,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                        calibrate_method=CalibrationMethod.MinMax, nodes_to_exclude=float_nodes,
                        calibration_cache_path=str(ranges))
    finally:
        logging.disable(logging.NOTSET)


def _prepared(source: str, work: Path) -> Path:
    """The truncated graph with the quantiser's pre-processing (shapes, folded constants)."""
    from onnxruntime.quantization.shape_inference import quant_pre_process

    head, prepared = work / "head.onnx", work / "prepared.onnx"
    head.write_bytes(nudenet_onnx._truncated_graph(source))
    quant_pre_process(str(head), str(prepared), skip_symbolic_shape=True)
    return prepared


def shipped_ranges(source_sha256: str) -> Path | None:
    """The activation ranges Sichter ships for the NudeNet model with this SHA-256, if any.

    Measured once (``calibrate``) and shipped, so that every machine with the same
    onnxruntime makes a byte-identical int8 copy and scores a file the same in every unit;
    calibrated on each machine instead, float rounding made the copies differ slightly."""
    path = _ranges_path(source_sha256)
    return path if path.is_file() else None


def _ranges_path(source_sha256: str) -> Path:
    return RANGES_DIR / f"nudenet-320n-{source_sha256[:12]}-ranges.json"


def calibrate(prepared: Path, out: Path, work: Path) -> None:
    """Min/max activation ranges of the prepared graph over the calibration photos, written
    as onnxruntime's calibration cache (``quantize_static(calibration_cache_path=...)``)."""
    from onnxruntime.quantization import CalibrationDataReader, CalibrationMethod
    from onnxruntime.quantization.calibrate import create_calibrator, save_tensors_data

    class Photos(CalibrationDataReader):  # type: ignore[misc]
        def __init__(self) -> None:
            self._blobs = iter(_calibration_blobs())

        def get_next(self) -> dict[str, Any] | None:
            blob = next(self._blobs, None)
            return None if blob is None else {"images": blob}

    calibrator = create_calibrator(prepared, None, augmented_model_path=str(work / "augmented.onnx"),
                                   calibrate_method=CalibrationMethod.MinMax)
    calibrator.collect_data(Photos())
    save_tensors_data(calibrator.compute_data(), out)


def write_shipped_ranges() -> Path:
    """Measure the ranges for the installed NudeNet model into RANGES_DIR (run by a
    developer when NudeNet's model changes; bump RECIPE with it)."""
    source = nudenet_onnx.info()
    out = _ranges_path(source.sha256)
    with tempfile.TemporaryDirectory() as tmp:
        calibrate(_prepared(source.path, Path(tmp)), out, Path(tmp))
    data = json.loads(out.read_text())
    out.write_text(json.dumps(data, sort_keys=True, indent=1) + "\n")  # readable diffs
    out.chmod(0o644)
    return out


def _calibration_blobs() -> list[Any]:
    from sichter.demo.photos import SAMPLES, sample

    blobs = []
    for name in SAMPLES:
        photo = sample(name).convert("RGB")
        photo.thumbnail((512, 512))
        w, h = photo.size
        crop = photo.crop((w // 5, h // 5, w - w // 5, h - h // 5))
        for image in (photo, photo.rotate(90, expand=True), crop):
            blobs.append(nudenet_onnx.preprocess(image, "rect")[0])
    return blobs
