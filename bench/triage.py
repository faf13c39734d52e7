"""AI triage throughput: Sichter's ingest with the ``ai`` stage against a loop of NudeNet's
own ``NudeDetector().detect(path)`` over the same files, in the same run.

    .venv/bin/python bench/triage.py [--n 200] [--workers 2]

Photos: benign 3–12 MP JPEGs (bench/ingest.py's generator, cached in bench/out/). Prints
end-to-end photos/s (hash, decode, PDQ, thumbnail, explicitness, faces/age where a face
exists, embeddings, store, triage), the NudeNet loop's photos/s and the ratio, and the
per-stage milliseconds per image measured in one process.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parents[0] / "src"))
sys.path.insert(0, str(BENCH))


def stage_times(files: list[Path], limit: int = 40) -> dict[str, float]:
    """Per-stage ms per image, one process, one onnxruntime thread (as in a worker)."""
    import numpy as np

    from sichter.classify import faces, nudenet_onnx
    from sichter.pipeline.analyse import AnalysisSettings
    from sichter.signals.digests import MD5, SHA1, SHA256
    from sichter.signals.image import decode, thumbnail_jpeg
    from sichter.signals.pdq import PDQ
    from sichter.triage.age import youngest_band  # noqa: F401 - part of the stage, negligible

    settings = AnalysisSettings(case_id=1, data_key=b"\0" * 32)
    first = decode(files[0].read_bytes(), 512, 10**9).image
    nudenet_onnx.detect(first)  # load the models before timing
    faces.analyse_faces(first, [((0.3, 0.3, 0.3, 0.3), 1.0, "warm-up")], 1.0, 0.8, True)
    totals = dict.fromkeys(["read+hash", "decode", "pdq", "thumbnail", "nudenet_pre",
                            "nudenet_run", "nudenet_post", "faces_age", "faces_embedding"], 0.0)
    face_images = 0
    session = nudenet_onnx._session()
    for path in files[:limit]:
        t = time.perf_counter()
        data = path.read_bytes()
        accs = [s.accumulator() for s in (MD5, SHA1, SHA256)]
        for a in accs:
            a.update(data)
        t1 = time.perf_counter()
        decoded = decode(data, settings.analysis_px, settings.max_pixels)
        t2 = time.perf_counter()
        PDQ.compute(np.asarray(decoded.image))
        t3 = time.perf_counter()
        thumbnail_jpeg(decoded, settings.thumbnail_px)
        t4 = time.perf_counter()
        blob, side = nudenet_onnx.preprocess(decoded.image)
        t5 = time.perf_counter()
        out = session.run(None, {session.get_inputs()[0].name: blob})[0]
        t6 = time.perf_counter()
        dets = nudenet_onnx.postprocess(out, side, decoded.image.width, decoded.image.height)
        t7 = time.perf_counter()
        boxes = [(d.box, d.score, "nudenet") for d in dets
                 if d.label in nudenet_onnx.FACE_CLASSES and d.score >= 0.3]
        faces.analyse_faces(decoded.image, boxes, 1.0, 0.8, False)
        t8 = time.perf_counter()
        faces.analyse_faces(decoded.image, boxes, 1.0, 0.8, True)
        t9 = time.perf_counter()
        face_images += bool(boxes)
        for key, dt in zip(totals, (t1 - t, t2 - t1, t3 - t2, t4 - t3, t5 - t4, t6 - t5, t7 - t6,
                                    t8 - t7, (t9 - t8) - (t8 - t7)), strict=True):
            totals[key] += dt
    n = min(limit, len(files))
    result = {k: round(v / n * 1000, 2) for k, v in totals.items()}
    result["images_with_face_%"] = round(100 * face_images / n, 1)
    return result


def run_ingest(folder: Path, workers: int, embeddings: bool) -> tuple[float, int]:
    from sichter.pipeline.ingest import ingest
    from sichter.settings import load_settings
    from sichter.store.cases import create_case
    from sichter.store.crypto import load_master_key
    from sichter.store.db import open_store

    home = Path(tempfile.mkdtemp(prefix="sichter-bench-triage-"))
    try:
        settings = load_settings(home, workers=workers, user="bench",
                                 triage={"embeddings": embeddings})
        sessions = open_store(settings.effective_database_url)
        create_case(sessions, load_master_key(home, None), "bench", None, "bench")
        t = time.perf_counter()
        summary = ingest(settings, sessions, "bench", [folder])
        return time.perf_counter() - t, summary.progress.files
    finally:
        shutil.rmtree(home, ignore_errors=True)


def nudenet_loop(files: list[Path]) -> float:
    from nudenet import NudeDetector

    detector = NudeDetector()
    detector.detect(str(files[0]))
    t = time.perf_counter()
    for path in files:
        detector.detect(str(path))
    return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    from ingest import make_photos  # bench/ingest.py's benign photo generator

    folder = make_photos(args.n)
    files = sorted(folder.glob("*.jpg"))
    mb = sum(f.stat().st_size for f in files) / 1e6
    print(f"{len(files)} benign JPEGs, {mb:.0f} MB, 3–12 MP", flush=True)
    print("per-stage ms/image (one process, one thread):", stage_times(files), flush=True)
    for embeddings in (True, False):
        seconds, n = run_ingest(folder, args.workers, embeddings)
        print(f"sichter ingest+ai ({args.workers} workers, embeddings={embeddings}): "
              f"{n / seconds:.1f} photos/s ({seconds:.1f} s incl. worker start and model load)",
              flush=True)
    loop = nudenet_loop(files)
    print(f"NudeNet NudeDetector().detect(path) loop: {len(files) / loop:.1f} photos/s "
          f"({loop:.1f} s, onnxruntime default threads)")
    print(f"ratio sichter (embeddings=False) / nudenet loop = "
          f"{(n / seconds) / (len(files) / loop):.2f}x")


if __name__ == "__main__":
    main()
