"""Benchmark: review effort to reach 95 % recall with continuous active learning (CAL) versus
the initial ranking versus random order, on a benign proxy task (issue 7).

Proxy task: "photo with a person" is the relevant class. Relevant items are scikit-image's
person photos (astronaut, camera) under many transforms plus LFW-subset faces (bundled with
scikit-image) pasted at photo scale onto benign backgrounds; the rest are scikit-image's
objects, animals, textures and landscapes under transforms plus synthetic distractors
(noise, gradients, shapes, stripes). Nothing else is used; nothing is downloaded.

Features per item: dlib's HOG frontal-face detector (what Sichter's face stage may use),
mapped into the stored-output format and through ``sichter.learn.features.feature_vector``,
plus cheap image statistics (colour, skin-tone fraction, edges, entropy). The initial ranking
is the face detector's best score (what AI triage knows before anyone reviews). CAL uses
Sichter's own estimator (``sichter.learn.model``) and reviews in batches of K, retraining
after each batch on every decision so far, the initial score among the features.

    .venv/bin/python bench/cal.py [--n 2500] [--relevant 0.08] [--batch 25] [--seed 0]
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from sichter.demo.photos import SAMPLES, TRANSFORMS, sample  # noqa: E402
from sichter.learn import model as est  # noqa: E402
from sichter.learn.features import ContentFacts, feature_vector  # noqa: E402
from sichter.learn.metrics import items_to_recall  # noqa: E402

PEOPLE = ["astronaut", "camera"]
OTHERS = [s for s in SAMPLES if s not in PEOPLE]
SIDE = 320


def _fit(im: Image.Image) -> Image.Image:
    im = im.convert("RGB")
    scale = SIDE / max(im.size)
    return im.resize((max(1, round(im.width * scale)), max(1, round(im.height * scale))))


def _jitter(im: Image.Image, rng: random.Random) -> Image.Image:
    """An ordinary photo transformation: one of the demo transforms, crop, light, blur."""
    im = TRANSFORMS[rng.choice(list(TRANSFORMS))](im)
    w, h = im.size
    c = rng.uniform(0.0, 0.15)
    im = im.crop((int(w * c * rng.random()), int(h * c * rng.random()),
                  w - int(w * c * rng.random()), h - int(h * c * rng.random())))
    im = ImageEnhance.Brightness(im).enhance(rng.uniform(0.7, 1.3))
    if rng.random() < 0.2:
        im = im.filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 1.5)))
    return _fit(im)


def _background(rng: random.Random, bases: dict[str, Image.Image]) -> Image.Image:
    return _jitter(bases[rng.choice(OTHERS)], rng)


def _synthetic(rng: random.Random) -> Image.Image:
    kind = rng.choice(["noise", "gradient", "shapes", "stripes"])
    arr_rng = np.random.default_rng(rng.randrange(2**32))
    if kind == "noise":
        arr = arr_rng.integers(0, 256, (240, SIDE, 3), dtype=np.uint8)
        return Image.fromarray(arr).filter(ImageFilter.GaussianBlur(rng.uniform(0, 3)))
    if kind == "gradient":
        x = np.linspace(0, 1, SIDE)[None, :, None]
        y = np.linspace(0, 1, 240)[:, None, None]
        col = arr_rng.random((1, 1, 3)) * 255
        arr = (col * (x * rng.random() + y * rng.random()) % 256).astype(np.uint8)
        return Image.fromarray(np.broadcast_to(arr, (240, SIDE, 3)).copy())
    im = Image.new("RGB", (SIDE, 240), tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(im)
    for _ in range(rng.randrange(3, 30)):
        xy = sorted(rng.randrange(SIDE) for _ in range(2)) + sorted(rng.randrange(240) for _ in range(2))
        box = (xy[0], xy[2], xy[1], xy[3])
        fill = tuple(rng.randrange(256) for _ in range(3))
        if kind == "shapes":
            (draw.ellipse if rng.random() < 0.5 else draw.rectangle)(box, fill=fill)
        else:
            draw.rectangle((box[0], 0, box[0] + rng.randrange(2, 12), 240), fill=fill)
    return im


def _pasted_face(rng: random.Random, faces: np.ndarray, bases: dict[str, Image.Image]) -> Image.Image:
    bg = _background(rng, bases)
    face = Image.fromarray((faces[rng.randrange(len(faces))] * 255).astype(np.uint8)).convert("RGB")
    if rng.random() < 0.7:  # tint to a range of skin tones
        tone = rng.choice([(1.0, 0.8, 0.65), (0.85, 0.65, 0.5), (0.6, 0.45, 0.35), (1.0, 0.9, 0.8)])
        face = Image.fromarray((np.asarray(face) * np.array(tone)).clip(0, 255).astype(np.uint8))
    size = rng.randrange(90, min(bg.size) - 4)
    face = face.resize((size, size), Image.Resampling.BICUBIC)
    bg.paste(face, (rng.randrange(0, bg.width - size), rng.randrange(0, bg.height - size)))
    return bg


def build(n: int, relevant: float, seed: int) -> tuple[list[Image.Image], np.ndarray]:
    from skimage.data import lfw_subset

    rng = random.Random(seed)
    bases = {name: _fit(sample(name)) if max(sample(name).size) > SIDE else sample(name)
             for name in SAMPLES}
    faces = lfw_subset()[:100]  # the first 100 of the subset are faces, the rest are not
    n_rel = round(n * relevant)
    items: list[tuple[Image.Image, bool]] = []
    for i in range(n_rel):
        im = _jitter(bases[rng.choice(PEOPLE)], rng) if i % 5 < 2 else _pasted_face(rng, faces, bases)
        items.append((im, True))
    for i in range(n - n_rel):
        items.append((_background(rng, bases) if i % 5 < 3 else _synthetic(rng), False))
    rng.shuffle(items)
    return [im for im, _ in items], np.array([y for _, y in items])


def image_stats(im: Image.Image) -> list[float]:
    small = np.asarray(im.resize((96, 72)), dtype=float)
    ycc = np.asarray(im.resize((96, 72)).convert("YCbCr"), dtype=float)
    cb, cr = ycc[..., 1], ycc[..., 2]
    skin = ((cb >= 77) & (cb <= 127) & (cr >= 133) & (cr <= 173)).mean()
    grey = small.mean(axis=2)
    gx, gy = np.abs(np.diff(grey, axis=1)).mean(), np.abs(np.diff(grey, axis=0)).mean()
    hist = np.histogram(grey, bins=32, range=(0, 256))[0] / grey.size
    entropy = -sum(p * math.log2(p) for p in hist if p > 0)
    sat = (small.max(axis=2) - small.min(axis=2)).mean()
    return [*small.mean(axis=(0, 1)), *small.std(axis=(0, 1)), skin, gx, gy, entropy, sat]


def features(images: list[Image.Image]) -> tuple[np.ndarray, np.ndarray]:
    import dlib

    detector = dlib.get_frontal_face_detector()
    rows, initial = [], []
    for im in images:
        arr = np.asarray(im.convert("L"))
        boxes, scores, _ = detector.run(arr, 0, -0.4)
        faces = [{"score": float(s), "box": [b.left(), b.top(), b.width(), b.height()]}
                 for b, s in zip(boxes, scores, strict=True)]
        best = max((f["score"] for f in faces), default=-1.0)
        facts = ContentFacts(0, "image", im.width, im.height, im.width * im.height,
                             None, {"ai": {"faces": faces, "face_count": sum(f["score"] > 0 for f in faces)}},
                             triage_priority=round(100 / (1 + math.exp(-2 * best))))
        rows.append(feature_vector(facts) + image_stats(im))
        initial.append(best)
    return np.asarray(rows), np.asarray(initial)


def order_by(scores: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Highest first; ties in random order (a constant ranking gets no credit)."""
    return np.lexsort((rng.random(len(scores)), -scores))


def cal(X: np.ndarray, y: np.ndarray, initial: np.ndarray, batch: int, recall: float,
        seed: int) -> tuple[int, int]:
    """Items reviewed by CAL until ``recall`` is reached, and the number of retrain rounds."""
    rng = np.random.default_rng(seed)
    need = math.ceil(recall * y.sum() - 1e-9)
    reviewed: list[int] = []
    todo = np.ones(len(y), dtype=bool)
    found, rounds = 0, 0
    while todo.any():
        idx = np.flatnonzero(todo)
        labels = y[reviewed]
        if len(reviewed) and 0 < labels.sum() < len(labels):
            m = est.relevance_estimator(len(reviewed), int(min(labels.sum(), len(labels) - labels.sum())))
            est.fit(m, X[reviewed], labels)
            scores = np.asarray(est.positive_proba(m, X[idx]))
            rounds += 1
        else:
            scores = initial[idx]
        for i in idx[order_by(scores, rng)][:batch]:
            reviewed.append(int(i))
            todo[i] = False
            found += int(y[i])
            if found >= need:
                return len(reviewed), rounds
    return len(reviewed), rounds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2500)
    ap.add_argument("--relevant", type=float, default=0.08)
    ap.add_argument("--batch", type=int, default=25)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cache", type=Path, default=Path("bench/out/cal_features.npz"))
    args = ap.parse_args()
    t0 = time.perf_counter()
    key = f"{args.n}-{args.relevant}-{args.seed}"
    if args.cache.exists() and str(np.load(args.cache)["key"]) == key:
        data = np.load(args.cache)
        X, y, initial = data["X"], data["y"], data["initial"]
        print(f"features from cache {args.cache}")
    else:
        images, y = build(args.n, args.relevant, args.seed)
        t1 = time.perf_counter()
        X, initial = features(images)
        spent = time.perf_counter() - t1
        print(f"built {len(images)} images in {t1 - t0:.1f} s; features (dlib HOG faces + image "
              f"statistics) in {spent:.1f} s ({1000 * spent / len(images):.1f} ms/image)")
        args.cache.parent.mkdir(parents=True, exist_ok=True)
        np.savez(args.cache, X=X, y=y, initial=initial, key=key)
    n, p = len(y), int(y.sum())
    print(f"{n} items, {p} relevant ({p / n:.1%}); batch K = {args.batch}")
    for recall in (0.95, 0.99):
        rand = [items_to_recall(list(y[order_by(np.zeros(n), np.random.default_rng(s))]), recall)
                for s in range(50)]
        init = [items_to_recall(list(y[order_by(initial, np.random.default_rng(s))]), recall)
                for s in range(5)]
        t = time.perf_counter()
        runs = [cal(X, y, initial, args.batch, recall, s) for s in range(3)]
        cal_items = [r[0] for r in runs]
        r_mean, i_mean, c_mean = float(np.mean(rand)), float(np.mean(init)), float(np.mean(cal_items))
        print(f"recall {recall:.0%}: random order {r_mean:,.0f} items ({r_mean / n:.1%}); "
              f"initial ranking {i_mean:,.0f} ({i_mean / n:.1%}); CAL {c_mean:,.0f} ({c_mean / n:.1%}, "
              f"runs {cal_items}, {runs[0][1]} retrains, {(time.perf_counter() - t) / 3:.1f} s per run)")
        print(f"   random / CAL = {r_mean / c_mean:.1f}x; random / initial = {r_mean / i_mean:.1f}x; "
              f"initial / CAL = {i_mean / c_mean:.1f}x")
    print(f"total {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
