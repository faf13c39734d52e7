"""Analysis of one content: digests in one read pass, type from magic, and for images the
decode, EXIF, PDQ and an encrypted thumbnail. Runs inside a worker process; pure of the store."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

from sichter.errors import EvidenceError
from sichter.evidence.model import Payload, open_payload
from sichter.evidence.sniff import DEEP_SNIFF_BYTES, sniff
from sichter.pipeline.stages import registry
from sichter.signals.base import byte_signals, image_signals
from sichter.signals.image import decode, thumbnail_jpeg
from sichter.store.crypto import derivative_context, seal

READ_CHUNK = 1024 * 1024
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AnalysisSettings:
    """What a worker needs to analyse content; picklable, sent once to each worker."""

    case_id: int
    data_key: bytes
    analysis_px: int = 512
    thumbnail_px: int = 256
    max_pixels: int = 200_000_000
    max_image_bytes: int = 512 * 1024**2
    skip_stages: frozenset[str] = frozenset()
    # The run's recorded Settings (no secrets), so that a stage reads its own section.
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Plan:
    """What to do with content once its digests are known (the ingest decides, in its process).

    ``analyse`` is False for content already analysed in the case; ``skip_stages`` names the
    stages not to run for it (model stages for content a hash set already knows)."""

    analyse: bool
    skip_stages: frozenset[str] = frozenset()
    known: bool = False


@dataclass
class Digests:
    size: int
    hexdigests: dict[str, str]
    mime: str
    media_type: str

    @property
    def sha256(self) -> str:
        return self.hexdigests["sha256"]


@dataclass
class ContentFacts:
    """Everything measured about one content; the store persists it as a Content row."""

    digests: Digests
    width: int | None = None
    height: int | None = None
    exif: dict[str, Any] | None = None
    signals: dict[str, tuple[str, int | None]] = field(default_factory=dict)
    thumbnail: bytes | None = None  # already encrypted
    error: str | None = None
    analysis: dict[str, Any] = field(default_factory=dict)  # image/video stage name -> facts
    derivatives: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # kind -> (mime, sealed)


def read_and_digest(payload: Payload, keep_images_up_to: int) -> tuple[Digests, bytes | None]:
    """Hash the content in one pass; keep its bytes when it is an image small enough to decode."""
    accumulators = {name: sig.accumulator() for name, sig in byte_signals().items()}
    with open_payload(payload) as stream:
        first = _read_at_least(stream, DEEP_SNIFF_BYTES)
        ctype = sniff(first[:DEEP_SNIFF_BYTES])
        kept: list[bytes] | None = [] if ctype.media_type == "image" else None
        size = 0
        chunk = first
        while chunk:
            size += len(chunk)
            for acc in accumulators.values():
                acc.update(chunk)
            if kept is not None and size <= keep_images_up_to:
                kept.append(chunk)
            else:
                kept = None
            chunk = stream.read(READ_CHUNK)
    # Typed again now that the size is known, as the walker typed it: some signs are weak
    # without it (an untyped partition that must end inside the image).
    ctype = sniff(first[:DEEP_SNIFF_BYTES], size)
    digests = Digests(size, {n: a.hexdigest() for n, a in accumulators.items()}, ctype.mime,
                      ctype.media_type)
    return digests, (b"".join(kept) if kept is not None else None)


def _read_at_least(stream: Any, n: int) -> bytes:
    parts: list[bytes] = []
    total = 0
    while total < n:
        chunk = stream.read(READ_CHUNK)
        if not chunk:
            break
        parts.append(chunk)
        total += len(chunk)
    return b"".join(parts)


def analyse(
    payload: Payload,
    settings: AnalysisSettings,
    is_new: Callable[[Digests], bool | Plan] = lambda _: True,
) -> ContentFacts:
    """Facts about the content behind ``payload``.

    ``is_new`` is asked once the digests are known: content already analysed elsewhere in the
    case is not decoded again, and the facts come back with digests only; it may also name
    stages to skip (known material need not go through the models).
    """
    try:
        digests, data = read_and_digest(payload, settings.max_image_bytes)
    except OSError as exc:
        raise EvidenceError(f"not readable: {exc.strerror or exc}") from exc
    facts = ContentFacts(digests)
    if digests.size == 0:
        facts.error = "empty file (0 bytes)"
    answer = is_new(digests)
    plan = answer if isinstance(answer, Plan) else Plan(bool(answer))
    if not plan.analyse:
        return facts
    if plan.skip_stages:
        settings = replace(settings, skip_stages=settings.skip_stages | plan.skip_stages)
        facts.analysis["skipped"] = {"stages": sorted(plan.skip_stages),
                                     "reason": "known to a hash set (exact match)"}
    if digests.media_type == "video":
        _run_video_stages(payload, settings, facts)
    if digests.media_type != "image":
        return facts
    if data is None:
        facts.error = (f"image of {digests.size:,} bytes too large to decode "
                       f"(limit {settings.max_image_bytes:,})")
        return facts
    try:
        decoded = decode(data, settings.analysis_px, settings.max_pixels)
    except EvidenceError as exc:
        facts.error = str(exc)
        return facts
    facts.width, facts.height, facts.exif = decoded.width, decoded.height, decoded.exif
    if decoded.problems:
        facts.analysis["decode"] = {"problems": list(decoded.problems)}
    rgb = decoded.pixels
    for name, signal in image_signals().items():
        value = signal.compute(rgb)
        facts.signals[name] = (value.value, value.quality)
        decoded.signals[name] = value
    thumb = thumbnail_jpeg(decoded, settings.thumbnail_px)
    facts.thumbnail = seal(settings.data_key, thumb,
                           derivative_context(settings.case_id, digests.sha256, "thumbnail"))
    for name, stage in registry().image.items():
        if name not in settings.skip_stages:
            _keep(facts, settings, name, _guarded(partial(stage, decoded, settings)))
    return facts


def _run_video_stages(payload: Payload, settings: AnalysisSettings, facts: ContentFacts) -> None:
    for name, stage in registry().video.items():
        if name not in settings.skip_stages:
            result = _guarded(partial(stage, partial(open_payload, payload), settings))
            _keep(facts, settings, name, result)
            _adopt_video_facts(facts, result)


def _adopt_video_facts(facts: ContentFacts, result: dict[str, Any]) -> None:
    """A video stage's frame size becomes the content's size, and its error the content's
    error (so exports show why a video could not be read)."""
    if isinstance(result.get("width"), int) and isinstance(result.get("height"), int):
        facts.width, facts.height = result["width"], result["height"]
    if result.get("error") and facts.error is None:
        facts.error = f"video: {result['error']}"


def _keep(facts: ContentFacts, settings: AnalysisSettings, name: str, result: dict[str, Any]) -> None:
    """Store a stage's facts; binary derivatives it returns under ``_derivatives`` as
    {kind: (mime, bytes)} are encrypted here, before they leave the worker."""
    for kind, (mime, data) in result.pop("_derivatives", {}).items():
        context = derivative_context(settings.case_id, facts.digests.sha256, kind)
        facts.derivatives[kind] = (mime, seal(settings.data_key, data, context))
    facts.analysis[name] = result


def _guarded(run: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """A stage that cannot handle this content records why; the content's other facts stand."""
    try:
        return run()
    except EvidenceError as exc:
        return {"error": str(exc)}
    except Exception as exc:  # noqa: BLE001 - see below
        # A stage is a plug-in; one that fails on odd content (OpenCV asserting on a 1 px
        # wide image) must not take the worker down with it, which lost the content's PDQ,
        # thumbnail and every other stage's facts. The failure is kept, named, with the stage.
        log.warning("stage failed on one content: %s: %s", type(exc).__name__, exc)
        return {"error": f"stage failed: {type(exc).__name__}: {str(exc).strip()[:300]}"}
