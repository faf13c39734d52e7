"""Matching's hooks into ingest: dihedral PDQ variants computed in the worker (they need the
pixels), matching after each ingest, and the export fields ``status`` and ``matches``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sichter.pipeline.stages import register_export_fields, register_image_stage, register_post_ingest

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from sichter.pipeline.analyse import AnalysisSettings
    from sichter.settings import Settings
    from sichter.signals.image import DecodedImage


def pdq_dihedral(decoded: DecodedImage, settings: AnalysisSettings) -> dict[str, Any]:
    """The seven rotations and flips beyond the original, as PDQ hex, with their quality
    (the core PDQ signal computed them with the PDQ itself; recomputed only without it)."""

    from sichter.signals.pdq import PDQ

    known = decoded.signals.get(PDQ.name)
    if known is not None and len(known.variants) == 7:
        return {"hashes": list(known.variants), "quality": known.quality}
    hashes, quality = PDQ.dihedral(decoded.pixels)
    return {"hashes": hashes[1:], "quality": quality}


def match_after_ingest(settings: Settings, sessions: sessionmaker[Session], case_id: int) -> None:
    from sichter.matching.engine import match_case

    match_case(sessions, case_id, settings.effective_user, settings=settings)


def _export(session: Session, case_id: int, content_ids: list[int]) -> dict[int, dict[str, Any]]:
    from sichter.matching.service import export_fields

    return export_fields(session, case_id, content_ids)


register_image_stage("pdq_dihedral", pdq_dihedral)
register_post_ingest("hash_match", match_after_ingest)
register_export_fields("known_material", _export)
