"""The image stage that keeps each new image's local features for robust matching.

It runs in the analysis worker on the <= 512 px analysis image. The descriptors are
derivatives of evidence, so they leave the worker only as an encrypted derivative
(kind ``local_features``); the JSON facts hold just the keypoint count and the extractor.
The matching stage reads them back with :func:`features_from_derivative` for the contents
that exact, PDQ and dihedral PDQ matching left without a match.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sichter.matching.robust import DERIVATIVE_KIND, MIME, NAME, VERSION, LocalFeatures
from sichter.pipeline.stages import register_image_stage, register_matcher_loader

if TYPE_CHECKING:
    from sichter.pipeline.analyse import AnalysisSettings
    from sichter.signals.image import DecodedImage


def local_features_stage(decoded: DecodedImage, settings: AnalysisSettings) -> dict[str, Any]:
    """ORB features of the analysis image: ``{"keypoints": n, "extractor": ...}`` and, when
    there are any, the serialised features as an (encrypted-in-the-worker) derivative."""

    from sichter.matching.robust import extract
    from sichter.signals.image import opencv

    opencv()  # single-threaded also when the ai stage (which used to set it) is skipped
    features = extract(decoded.pixels)
    result: dict[str, Any] = {"keypoints": len(features), "extractor": f"{NAME}/v{VERSION}"}
    if len(features):
        result["_derivatives"] = {DERIVATIVE_KIND: (MIME, features.to_bytes())}
    return result


def features_from_derivative(data_key: bytes, case_id: int, sha256: str,
                             sealed: bytes) -> LocalFeatures:
    """The features the stage stored for the content with ``sha256``; a derivative that does
    not authenticate raises CryptoError, one that does not parse raises CorruptData."""
    from sichter.store.crypto import derivative_context, open_sealed

    raw = open_sealed(data_key, sealed, derivative_context(case_id, sha256, DERIVATIVE_KIND))
    return LocalFeatures.from_bytes(raw)


register_image_stage(NAME, local_features_stage)


def _register_matchers() -> None:
    """The robust and video matchers join the engine when a matching run asks for them (in
    the main process; workers import this module for its image stage only)."""
    from sichter.matching.engine import MATCHERS, register_matcher
    from sichter.matching.robust_matcher import RobustMatcher
    from sichter.matching.vpdq_matcher import VpdqMatcher

    for matcher in (RobustMatcher(), VpdqMatcher()):
        if not any(m.name == matcher.name for m in MATCHERS):
            register_matcher(matcher)


register_matcher_loader("robust", _register_matchers)
