"""The explicit score: one number in [0, 1] from the detector's per-class maximum scores.

Formula (a weighted noisy-OR over exposed-body-part classes)::

    explicit = 1 - prod_c (1 - w_c * s_c)

where ``s_c`` is the highest detector score of class ``c`` in the image (0 when absent) and
``w_c`` the class weight below. Genitals and anus exposed count fully, an exposed female
breast almost fully, exposed buttocks somewhat less; covered parts, faces, feet, armpits,
belly and male breast count zero (they occur in ordinary holiday and sports photos). One
confident detection of a fully weighted class gives about its score; several independent
weaker detections add up, but the result never exceeds 1. The weights are recorded with
every run under ``thresholds.explicit_weights``.
"""

from __future__ import annotations

from collections.abc import Mapping

EXPLICIT_WEIGHTS: dict[str, float] = {
    "FEMALE_GENITALIA_EXPOSED": 1.0,
    "MALE_GENITALIA_EXPOSED": 1.0,
    "ANUS_EXPOSED": 1.0,
    "FEMALE_BREAST_EXPOSED": 0.9,
    "BUTTOCKS_EXPOSED": 0.8,
}


def explicit_score(class_scores: Mapping[str, float],
                   weights: Mapping[str, float] = EXPLICIT_WEIGHTS) -> float:
    """The explicit score of an image from its per-class maximum detector scores."""
    remaining = 1.0
    for name, weight in weights.items():
        score = min(1.0, max(0.0, float(class_scores.get(name, 0.0))))
        remaining *= 1.0 - min(1.0, max(0.0, weight)) * score
    return round(1.0 - remaining, 4)
