"""Extension points where later stages plug into ingest, without the core knowing them.

- Image stages run inside the analysis worker on the decoded image of each new content and
  return JSON-able facts, stored under their name in ``Content.analysis``.
- Video stages run inside the worker on each new video content (they get a way to open it).
- Post-ingest stages run in the main process after an ingest's last batch is committed
  (matching against hash sets, priority scoring), with the store and the case id.
- Export fields add keys to the export records of a batch of contents.
- Matcher loaders add matchers to the matching engine; they run in the main process before
  a matching run, so that analysis workers never import the engine and its store.

Stage modules are listed by import path below and loaded lazily, once per process; each
module registers itself on import. A module that fails to import is a programming error.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from sichter.pipeline.analyse import AnalysisSettings
    from sichter.settings import Settings
    from sichter.signals.image import DecodedImage

STAGE_MODULES: list[str] = [
    # Post-ingest stages run in this order: hash matching before triage, because known
    # material's status and category feed the priority.
    "sichter.matching.stage",
    "sichter.classify.video",
    "sichter.classify.register",
    "sichter.matching.robust_stage",
    "sichter.web.export_fields",
    "sichter.learn.stage",
    "sichter.web.queue_stage",  # keep last: the review queue reads matching and triage results
]

ImageStage = Callable[["DecodedImage", "AnalysisSettings"], dict[str, Any]]
VideoStage = Callable[[Callable[[], Any], "AnalysisSettings"], dict[str, Any]]
# A post-ingest stage may return warnings for the ingest's summary and log.
PostIngestStage = Callable[["Settings", "sessionmaker[Session]", int], "list[str] | None"]
ExportFields = Callable[["Session", int, list[int]], dict[int, dict[str, Any]]]


@dataclass
class _Registry:
    image: dict[str, ImageStage]
    video: dict[str, VideoStage]
    post_ingest: dict[str, PostIngestStage]
    export: dict[str, ExportFields]
    matchers: dict[str, Callable[[], None]]


_REG = _Registry({}, {}, {}, {}, {})
_LOADED = False


def _add(table: dict[str, Any], name: str, fn: Any) -> None:
    if name in table:
        raise ValueError(f"a stage named {name!r} is already registered")
    table[name] = fn


def register_image_stage(name: str, fn: ImageStage) -> None:
    _add(_REG.image, name, fn)


def register_video_stage(name: str, fn: VideoStage) -> None:
    _add(_REG.video, name, fn)


def register_post_ingest(name: str, fn: PostIngestStage) -> None:
    _add(_REG.post_ingest, name, fn)


def register_export_fields(name: str, fn: ExportFields) -> None:
    _add(_REG.export, name, fn)


def register_matcher_loader(name: str, fn: Callable[[], None]) -> None:
    _add(_REG.matchers, name, fn)


def registry() -> _Registry:
    global _LOADED
    if not _LOADED:
        _LOADED = True
        for module in STAGE_MODULES:
            importlib.import_module(module)
    return _REG
