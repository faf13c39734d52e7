"""Computing and storing triage judgments (main process): after ingest, and on ``rescore``.

Reads the measured facts (``Content.analysis["ai"]`` for photos, ``["video"]`` for videos) and
the known-material status, applies the pure ``sichter.triage.priority.prioritise`` with the
configured thresholds, and replaces the content's ``triage`` row, recording the models,
thresholds, user and time. Models are never re-run here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from sichter.settings import Settings
from sichter.store import cases
from sichter.store.ai_models import AIModel, Triage
from sichter.store.models import Case, Content
from sichter.triage.age import face_band, too_small, youngest_band
from sichter.triage.config import TriageSettings
from sichter.triage.precision import PrecisionSummary, checks_in, summarise
from sichter.triage.priority import FaceScore, Known, Scores, prioritise

SCORE_STAGES = ("ai", "video")
_CHUNK = 1000


@dataclass
class TriageSummary:
    contents: int = 0
    tiers: dict[str, int] = field(default_factory=dict)
    thresholds: dict[str, Any] = field(default_factory=dict)
    precision: PrecisionSummary | None = None  # the int8 detector checked against fp32
    plugin_problems: dict[str, int] = field(default_factory=dict)  # message -> images

    def warnings(self) -> list[str]:
        out = [w for w in [self.precision.warning() if self.precision else None] if w]
        for message, images in sorted(self.plugin_problems.items()):
            out.append(f"agency plug-in problem on {images} image(s) or video(s); their "
                       f"built-in scores stand: {message}")
        return out


def scores_of(analysis: dict[str, Any] | None, config: TriageSettings) -> Scores | None:
    """The measured scores of a content (None when no model scored it); face bands are
    recomputed with the configured margin, so a changed margin takes effect on rescore."""
    for stage in SCORE_STAGES:
        facts = (analysis or {}).get(stage)
        if isinstance(facts, dict) and facts.get("explicit") is not None:
            break
    else:
        error = _model_error(analysis)
        return Scores(None, error=error) if error else None
    faces = [FaceScore(f["age"], f["age_low"], f["age_high"],
                       face_band(f["age_low"], f["age_high"], config.age_margin, f.get("px"),
                                 config.min_face_px), f.get("box", ()), f.get("px"),
                       too_small(f.get("px"), config.min_face_px))
             for f in facts.get("faces", [])]
    band = (youngest_band(f.age_band for f in faces) if faces
            else facts.get("youngest_band") or "none")
    return Scores(float(facts["explicit"]), facts.get("classes", {}), faces, band,
                  explicit_source=facts.get("explicit_source"), explicit_at=_explicit_at(facts))


def _explicit_at(facts: dict[str, Any]) -> str | None:
    """Where a video's or a multi-frame image's highest explicit score is."""
    if isinstance(facts.get("explicit_t"), int | float):
        return f"at {facts['explicit_t']:g} s"
    if isinstance(facts.get("explicit_frame"), int) and facts["explicit_frame"] > 0:
        return f"frame {facts['explicit_frame'] + 1} of {facts.get('frames_total', '?')}"
    return None


def _model_error(analysis: dict[str, Any] | None) -> str | None:
    """Why no scoring stage produced scores, when one of them said so."""
    for stage in SCORE_STAGES:
        facts = (analysis or {}).get(stage)
        if isinstance(facts, dict) and facts.get("error"):
            return str(facts["error"])
    return None


def _known_statuses(session: Session, case_id: int, ids: list[int]) -> dict[int, Known]:
    try:
        from sichter.matching.service import known_status
    except ImportError:  # matching not installed in this build: everything is unknown
        return {}
    return {cid: Known(k.status, k.category, k.scheme, k.hashset)
            for cid, k in known_status(session, case_id, ids).items()}


def _chunks(session: Session, case_id: int) -> Iterator[list[Content]]:
    last = 0
    while True:
        rows = list(session.scalars(select(Content).where(Content.case_id == case_id,
                                                          Content.id > last)
                                    .order_by(Content.id).limit(_CHUNK)))
        if not rows:
            return
        yield rows
        last = rows[-1].id


def compute_triage(settings: Settings, sessions: sessionmaker[Session], case_id: int,
                   action: str = "triage") -> TriageSummary:
    """(Re)compute the triage row of every content of the case; logged as ``action``."""
    config = settings.triage
    policy = config.policy()
    thresholds = config.recorded()
    user = settings.effective_user
    summary = TriageSummary(thresholds=thresholds)
    used: dict[str, str] = {}
    checks: list[Any] = []
    with sessions.begin() as s:
        scheme = s.scalar(select(Case.scheme).where(Case.id == case_id)) or "vics-us"
        for contents in _chunks(s, case_id):
            ids = [c.id for c in contents]
            known = _known_statuses(s, case_id, ids)
            existing = {t.content_id: t for t in s.scalars(
                select(Triage).where(Triage.content_id.in_(ids)))}
            now = cases.now()
            for content in contents:
                scores = scores_of(content.analysis, config)
                status = known.get(content.id, Known("error" if content.error else "unknown"))
                if not config.skip_known and status.status in ("known", "known_good"):
                    status = Known("unknown")
                judgment = prioritise(scores, status, scheme, policy, content.media_type)
                models = _models_of(content.analysis)
                checks += checks_in(content.analysis)
                for problem in _plugin_problems(content.analysis):
                    summary.plugin_problems[problem] = summary.plugin_problems.get(problem, 0) + 1
                used.update(models)
                row = existing.get(content.id) or Triage(content_id=content.id, case_id=case_id)
                row.priority = judgment.priority
                row.suggested_category = judgment.suggested_category
                row.youngest_band = scores.youngest_band if scores else "none"
                row.explicit = scores.explicit if scores else None
                row.known_status = status.status
                row.reasons = judgment.reasons + _incomplete(content.analysis)
                row.models = models
                row.thresholds = thresholds
                row.computed_at, row.computed_by = now, user
                if content.id not in existing:
                    s.add(row)
                summary.contents += 1
                summary.tiers[judgment.tier] = summary.tiers.get(judgment.tier, 0) + 1
            s.flush()
        register_models(s, used, settings.models_dir, config.plugin_dir)
        details = {"contents": summary.contents, "tiers": summary.tiers,
                   "thresholds": thresholds, "models": used}
        if summary.plugin_problems:
            details["plugin_problems"] = summary.plugin_problems
        if checks:
            summary.precision = summarise(checks, sorted({config.suggestive_threshold,
                                                          config.explicit_threshold}))
            details["precision_check"] = summary.precision.record()
        cases.log(s, case_id, user, action, details)
    return summary


def _plugin_problems(analysis: dict[str, Any] | None) -> list[str]:
    """What went wrong with agency plug-ins on one content (loading, or on this image)."""
    found: list[str] = []
    for stage in SCORE_STAGES:
        facts = (analysis or {}).get(stage)
        if not isinstance(facts, dict):
            continue
        found += [str(facts["plugin_error"])] if facts.get("plugin_error") else []
        found += [f"{name}: {out['error']}" for name, out in (facts.get("plugins") or {}).items()
                  if isinstance(out, dict) and out.get("error")]
    return found


def _incomplete(analysis: dict[str, Any] | None) -> list[dict[str, Any]]:
    """A reason saying a video was read only in part (its scores cover what was read)."""
    video = (analysis or {}).get("video")
    if not isinstance(video, dict) or video.get("complete", True) or video.get("error"):
        return []
    why = video.get("incomplete_reason") or "the decoder stopped early"
    return [{"reason": "incomplete", "text": f"video read only in part: {why}"}]


def _models_of(analysis: dict[str, Any] | None) -> dict[str, str]:
    models: dict[str, str] = {}
    for stage in SCORE_STAGES:
        facts = (analysis or {}).get(stage)
        if isinstance(facts, dict):
            models.update(facts.get("models", {}))
    return models


def _plugin_infos(plugin_dir: Path | None) -> list[Any]:
    from sichter.classify.models import ModelUnavailable
    from sichter.classify.plugins import load_plugins

    try:
        return [p.info for p in load_plugins(str(plugin_dir) if plugin_dir else None)]
    except ModelUnavailable:  # said on every image already
        return []


def register_models(session: Session, used: dict[str, str], models_dir: Path | None = None,
                    plugin_dir: Path | None = None) -> None:
    """Record every (name, version) that produced a score, with its file hash and settings;
    ``models_dir`` holds models made on this machine (the int8 detector)."""
    if not used:
        return
    from sichter.classify import faces, nudenet_int8, nudenet_onnx
    from sichter.classify.models import ModelUnavailable

    try:
        # Both embedding runtimes: the workers' versions say which one ran, and finding out
        # which one this process would use meant building the network here (0.3 s).
        infos = [nudenet_onnx.info(), *faces.infos(("onnxruntime", "dlib")),
                 *_plugin_infos(plugin_dir)]
        if models_dir is not None and nudenet_int8.RECIPE in used.get(nudenet_onnx.NAME, ""):
            infos.append(nudenet_int8.info(models_dir))
        known = {(i.name, i.version): i for i in infos}
    except ModelUnavailable:
        known = {}
    have = {(m.name, m.version) for m in session.scalars(
        select(AIModel).where(AIModel.name.in_(list(used))))}
    for name, version in sorted(used.items()):
        if (name, version) in have:
            continue
        info = known.get((name, version))
        session.add(AIModel(name=name, version=version,
                            sha256=info.sha256 if info else version.rpartition("#")[2],
                            settings=info.settings if info else {}, first_used_at=cases.now()))
    session.flush()


def post_ingest(settings: Settings, sessions: sessionmaker[Session], case_id: int) -> list[str]:
    return compute_triage(settings, sessions, case_id, "triage").warnings()


def export_fields(session: Session, case_id: int, content_ids: list[int]) -> dict[int, dict[str, Any]]:
    """``scores`` {explicit, classes, faces, youngest_band, models[, frames]}, ``priority``,
    ``suggested_category`` and ``reasons`` of each content; videos' ``frames`` also at the top."""
    out: dict[int, dict[str, Any]] = {}
    rows = session.execute(select(Content.id, Content.analysis, Triage)
                           .outerjoin(Triage, Triage.content_id == Content.id)
                           .where(Content.case_id == case_id, Content.id.in_(content_ids)))
    for cid, analysis, triage in rows:
        fields: dict[str, Any] = {}
        for stage in SCORE_STAGES:
            facts = (analysis or {}).get(stage)
            if isinstance(facts, dict) and "explicit" in facts:
                face_keys: tuple[str, ...] = ("box", "age", "age_low", "age_high", "age_band")
                if stage == "video":  # which frame a face is in
                    face_keys += ("t",)
                elif "image_frames" in facts:
                    face_keys += ("frame",)
                scores = {"explicit": facts.get("explicit"), "classes": facts.get("classes", {}),
                          "faces": [{k: f.get(k) for k in face_keys}
                                    for f in facts.get("faces", [])],
                          "youngest_band": facts.get("youngest_band"),
                          "models": facts.get("models", {})}
                if "frames" in facts:
                    scores["frames"] = [{k: f.get(k) for k in ("t", "explicit", "youngest_band")}
                                        | {k: f[k] for k in ("error", "precision_check")
                                           if f.get(k)}
                                        for f in facts["frames"]]
                    # Where the maxima are, and whether the whole video was read.
                    scores.update({k: facts.get(k) for k in ("explicit_t", "youngest_band_t")})
                    scores["complete"] = facts.get("complete", True)
                    for key in ("incomplete_reason", "display_rotation"):
                        if facts.get(key) is not None:
                            scores[key] = facts[key]
                if "image_frames" in facts:  # an animated image or a multi-page TIFF
                    scores.update({k: facts.get(k) for k in ("image_frames", "frames_total",
                                                             "explicit_frame")})
                if facts.get("precision_check"):  # the int8 detector checked against fp32
                    scores["precision_check"] = facts["precision_check"]
                if facts.get("plugins"):
                    scores["plugins"] = {n: p.get("scores", {}) for n, p in facts["plugins"].items()}
                    failed = {n: p["error"] for n, p in facts["plugins"].items() if p.get("error")}
                    if failed:
                        scores["plugin_errors"] = failed
                if facts.get("plugin_error"):  # the plug-ins could not be loaded at all
                    scores["plugin_errors"] = {"*": facts["plugin_error"]}
                if facts.get("explicit_source"):  # a plug-in raised the explicit score
                    scores["explicit_source"] = facts["explicit_source"]
                fields["scores"] = scores
                if "frames" in scores:  # also on the record itself, as the export contract reads
                    fields["frames"] = scores["frames"]
                break
        else:
            if error := _model_error(analysis):
                fields["scores"] = {"error": error}
        if triage is not None:
            fields.update(priority=triage.priority, suggested_category=triage.suggested_category,
                          reasons=triage.reasons)
        if fields:
            out[cid] = fields
    return out
