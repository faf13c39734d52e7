"""The ``ai`` image stage: explicitness, faces with age bands and embeddings, plug-ins.

``score_image`` is the one entry point (the video stage calls it per frame). It runs in the
worker; models load once per process. Face embeddings are biometric derivatives: the image
stage returns them under ``_derivatives`` (kind ``face-embeddings``, little-endian float32,
128 per face in the order of ``faces``), so they are sealed with the case key in the worker
and stored only encrypted in the ``derivative`` table.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image

from sichter.classify.models import ModelInfo, ModelUnavailable
from sichter.signals.image import opencv, rgb_pixels, upright
from sichter.triage.age import band_rank, youngest_band
from sichter.triage.config import TriageSettings
from sichter.triage.explicit import explicit_score

if TYPE_CHECKING:
    from sichter.pipeline.analyse import AnalysisSettings
    from sichter.signals.image import DecodedImage

STAGE = "ai"
EMBEDDINGS_KIND = "face-embeddings"
EMBEDDINGS_MIME = "application/x-sichter-face-embeddings+float32"


def triage_settings(settings: AnalysisSettings) -> TriageSettings:
    """The triage section of the run's settings (defaults when the run recorded none)."""
    options = getattr(settings, "options", None) or {}
    return TriageSettings.model_validate(options.get("triage", {}))


def score_image(image: Image.Image | np.ndarray, settings: AnalysisSettings, *,
                keep_embeddings: bool = False) -> dict[str, Any]:
    """Scores of one RGB image or pixel array (long side ≤ 512 px is plenty).

    Returns ``explicit`` (0–1, see sichter.triage.explicit), ``classes`` (per-class maximum
    detector score), ``detections`` (class, score, box as fractions [x, y, w, h]), ``faces``
    ([{box, score, source, age, age_low, age_high, age_band}]), ``face_count``,
    ``youngest_band`` (under14 / 14to17 / adult / uncertain / none), ``plugins`` and
    ``models`` ({name: version}); with the int8 detector, for the images
    ``checked_against_fp32`` picks, ``precision_check`` (both precisions' explicit score,
    class maxima and face detections). With ``keep_embeddings`` the face embeddings come back under
    ``_derivatives`` for the pipeline to seal; otherwise they are not computed.
    """
    from sichter.classify import faces as face_mod
    from sichter.classify import nudenet_onnx

    config = triage_settings(settings)
    image = rgb_pixels(image)
    detector, model_file = _detector(settings, config)
    models = {nudenet_onnx.NAME: detector.version}
    detections = nudenet_onnx.detect(image, config.detector_letterbox, model_file)
    check = None
    if config.detector_precision == "int8" and checked_against_fp32(image, config.precision_check):
        try:
            check = _precision_check(image, detections, config)
        except (ModelUnavailable, RuntimeError, ValueError) as exc:
            # The check failing must not cost the image its int8 scores.
            check = {"reference": "fp32", "error": str(exc) or type(exc).__name__}
    classes = nudenet_onnx.class_maxima(detections)
    explicit = explicit_score(classes)
    boxes: list[tuple[tuple[float, float, float, float], float, str]] = []
    if config.face_detector in ("nudenet", "both"):
        boxes += [(d.box, d.score, "nudenet") for d in detections
                  if d.label in nudenet_onnx.FACE_CLASSES and d.score >= config.face_min_score]
    if config.face_detector in ("dlib", "both"):
        found = face_mod.dlib_faces(image)
        boxes += [(b, s, "dlib") for b, s in found if not any(_iou(b, o[0]) > 0.3 for o in boxes)]
        models["dlib_hog"] = _versions()["dlib_hog"]
    want_embeddings = keep_embeddings and config.embeddings
    faces = face_mod.analyse_faces(image, boxes, config.age_margin, config.age_interval,
                                   want_embeddings, config.min_face_px)
    if faces:
        models["age"] = _versions()["age"]
        models["landmarks5"] = _versions()["landmarks5"]
    result: dict[str, Any] = {
        "explicit": explicit,
        "classes": classes,
        "detections": [d.record() for d in detections],
        "faces": [f.record() for f in faces],
        "face_count": len(faces),
        "youngest_band": youngest_band(f.age_band for f in faces),
        "plugins": {},
        "models": models,
        "detector_input": config.detector_letterbox,
    }
    if check:
        result["precision_check"] = check
    _run_plugins(image, config, result)
    if want_embeddings and faces:
        vectors = [f.embedding for f in faces if f.embedding is not None]
        models["face_embedding"] = _versions()["face_embedding"]
        result["embeddings"] = {"kind": EMBEDDINGS_KIND, "count": len(vectors), "dimensions": 128}
        blob = np.stack(vectors).astype("<f4").tobytes()
        result["_derivatives"] = {EMBEDDINGS_KIND: (EMBEDDINGS_MIME, blob)}
    return result


def _run_plugins(image: np.ndarray, config: TriageSettings, result: dict[str, Any]) -> None:
    """The agency's plug-ins on one image, into ``result``. A plug-in that cannot load or
    fails on the image records why (``plugin_error``, ``plugins[name].error``) and the
    built-in scores stand: a broken add-on must not cost an image its explicitness and ages.
    A plug-in's ``explicit`` raises the image's, and ``explicit_source`` then names it."""
    from sichter.classify import plugins

    try:
        loaded = plugins.load_plugins(str(config.plugin_dir) if config.plugin_dir else None)
    except ModelUnavailable as exc:
        result["plugin_error"] = str(exc)
        return
    for plugin in loaded:
        name = plugin.info.name
        result["models"][name] = plugin.info.version
        try:
            out = plugins.classify(plugin, Image.fromarray(image))
        except MemoryError:
            raise
        except Exception as exc:  # an agency's model: any failure is its own, on this image
            result["plugins"][name] = {"error": f"{type(exc).__name__}: {exc}"}
            continue
        result["plugins"][name] = out
        if out["scores"].get("explicit", 0.0) > result["explicit"]:
            result["explicit"], result["explicit_source"] = out["scores"]["explicit"], name


def _detector(settings: AnalysisSettings, config: TriageSettings) -> tuple[ModelInfo, str | None]:
    """The NudeNet model the run's precision selects, and the file to run for it (None: the
    packaged model, cut by nudenet_onnx; the int8 copy lives in the derived-models folder)."""
    from sichter.classify import nudenet_int8, nudenet_onnx

    if config.detector_precision != "int8":
        return nudenet_onnx.info(), None
    info = nudenet_int8.info(_derived_models_dir(settings))
    return info, info.path


def _derived_models_dir(settings: AnalysisSettings) -> Path:
    """Where the run keeps models made on this machine: as ``Settings.models_dir`` says for
    the run's recorded settings, else (a bare scoring call) ``$SICHTER_DERIVED_MODELS_DIR``."""
    import os

    from sichter.settings import models_dir

    options = getattr(settings, "options", None) or {}
    if options.get("home") or options.get("derived_models_dir"):
        return models_dir(Path(options.get("home") or "."), options.get("derived_models_dir"))
    if os.environ.get("SICHTER_DERIVED_MODELS_DIR"):
        return Path(os.environ["SICHTER_DERIVED_MODELS_DIR"])
    raise ModelUnavailable("the int8 detector needs a folder to keep its model in (a Sichter "
                           "home or SICHTER_DERIVED_MODELS_DIR); or set "
                           "triage.detector_precision = 'fp32'")


def checked_against_fp32(pixels: np.ndarray, rate: float) -> bool:
    """Whether an image is one of the ``rate`` fraction whose int8 scores are checked against
    the fp32 model: chosen by a CRC of its pixels, so the same pixels are chosen in every run
    and on every machine."""
    import zlib

    if rate <= 0.0:
        return False
    return zlib.crc32(np.ascontiguousarray(pixels).data) % 1_000_000 < rate * 1_000_000


def _precision_check(image: np.ndarray, detections: list[Any], config: TriageSettings) -> dict[str, Any]:
    """The fp32 model's view of an image the int8 model scored (``detections``): explicit
    score, per-class maxima and face detections of both, for sichter.triage.precision."""
    from sichter.classify import nudenet_onnx

    def view(found: list[Any]) -> dict[str, Any]:
        classes = nudenet_onnx.class_maxima(found)
        return {"explicit": explicit_score(classes),
                "classes": {k: v for k, v in classes.items() if v > 0},
                "face_detections": sum(1 for d in found if d.label in nudenet_onnx.FACE_CLASSES
                                       and d.score >= config.face_min_score)}

    reference = nudenet_onnx.detect(image, config.detector_letterbox, None)
    return {"reference": nudenet_onnx.info().version, "fp32": view(reference),
            "int8": view(detections)}


def _versions() -> dict[str, str]:
    from sichter.classify import faces as face_mod

    global _VERSIONS
    if _VERSIONS is None:
        _VERSIONS = {i.name: i.version for i in face_mod.infos()}
    return _VERSIONS


_VERSIONS: dict[str, str] | None = None


def _iou(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    ax2, ay2, bx2, by2 = a[0] + a[2], a[1] + a[3], b[0] + b[2], b[1] + b[3]
    iw = max(0.0, min(ax2, bx2) - max(a[0], b[0]))
    ih = max(0.0, min(ay2, by2) - max(a[1], b[1]))
    inter = iw * ih
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


def image_stage(decoded: DecodedImage, settings: AnalysisSettings) -> dict[str, Any]:
    """The registered ``ai`` stage: score_image on the analysis image, embeddings kept."""
    opencv()  # one thread for the detector's and the face stage's resizes
    _, pixels = upright(decoded)  # boxes and faces as the photo is shown, not as stored
    try:
        result = score_image(pixels, settings, keep_embeddings=True)
        if decoded.more_frames:
            result = with_frames(result, [(i, _score_frame(frame, settings))
                                          for i, frame in decoded.more_frames],
                                 decoded.frames_total)
    except ModelUnavailable as exc:
        # A broken model installation or plug-in: every image says why; the ingest goes on.
        return {"error": f"AI models unavailable: {exc}"}
    except (RuntimeError, ValueError) as exc:
        # dlib and onnxruntime report failures on odd inputs this way; one image's scores
        # are lost, never the batch.
        return {"error": f"AI scoring failed: {exc}"}
    if decoded.orientation and decoded.orientation != 1:
        result["orientation"] = decoded.orientation  # EXIF orientation applied before scoring
    return result


MAX_FACES = 64


def _score_frame(frame: np.ndarray, settings: AnalysisSettings) -> dict[str, Any]:
    """A later frame's scores, or why it has none: one odd frame costs only itself (as a
    video's keyframe does); a missing model still ends the image's scoring."""
    try:
        return score_image(frame, settings, keep_embeddings=True)
    except (RuntimeError, ValueError) as exc:
        return {"error": f"AI scoring failed: {exc}"}


def with_frames(first: dict[str, Any], others: list[tuple[int, dict[str, Any]]],
                total: int) -> dict[str, Any]:
    """One image's scores from those of its frames (animated images, multi-page TIFFs), as a
    video's: the highest explicit score and the frame it is in, per-class maxima, the faces
    of every frame (each with its ``frame``; the youngest first when there are more than
    MAX_FACES) and the youngest confident band among all of them."""
    frames = [(0, first), *[(i, r) for i, r in others if "error" not in r]]
    best_index, best = max(frames, key=lambda f: f[1]["explicit"])
    out = dict(first)
    out["explicit"], out["explicit_frame"] = best["explicit"], best_index
    out["classes"] = {name: max(r["classes"].get(name, 0.0) for _, r in frames)
                      for name in first["classes"]}
    out["detections"] = [{**d, "frame": i} for i, r in frames for d in r["detections"]]
    # Each face with its embedding (128 float32, in the order of its frame's faces).
    faces: list[tuple[dict[str, Any], bytes]] = []
    for i, r in frames:
        blob = (r.get("_derivatives") or {}).get(EMBEDDINGS_KIND, ("", b""))[1]
        for k, face in enumerate(r["faces"]):
            faces.append(({**face, "frame": i}, blob[k * 512:(k + 1) * 512]))
    out["youngest_band"] = youngest_band(f["age_band"] for f, _ in faces)
    if len(faces) > MAX_FACES:  # keep the youngest: they are what the priority turns on
        faces = sorted(faces, key=lambda fe: (band_rank(fe[0]["age_band"]),
                                              fe[0]["age"]))[:MAX_FACES]
    out["faces"], out["face_count"] = [f for f, _ in faces], len(faces)
    out["models"] = {k: v for _, r in frames for k, v in r["models"].items()}
    out["image_frames"] = [_frame_record(i, r) for i, r in [(0, first), *others]]
    out["frames_total"] = total
    blob = b"".join(e for _, e in faces)
    if blob:
        out["embeddings"] = {"kind": EMBEDDINGS_KIND, "count": len(blob) // 512,
                             "dimensions": 128}
        out["_derivatives"] = {EMBEDDINGS_KIND: (EMBEDDINGS_MIME, blob)}
    return out


def _frame_record(index: int, result: dict[str, Any]) -> dict[str, Any]:
    record: dict[str, Any] = {"frame": index}
    if "error" in result:
        return {**record, "error": result["error"]}
    record.update(explicit=result["explicit"], youngest_band=result["youngest_band"])
    if index and "precision_check" in result:  # frame 0's is the image's own
        record["precision_check"] = result["precision_check"]
    return record
