"""The case report for the prosecutor, HTML and PDF (WeasyPrint): which models and thresholds
scored the case, what reviewers decided (per category and age band), known matches, the QA
figures with n, seed and reviewer, reviewer statistics, and the evidence sources with their
hashes. Like the HTML report it holds figures and provenance, never an image.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from sichter import __version__
from sichter.errors import SichterError
from sichter.report.html import _env
from sichter.report.summary import summarise
from sichter.store.cases import get_case
from sichter.store.learning_models import ActiveLearningState, LearnedModel, QaSample


@dataclass
class CaseFigures:
    """Everything the case report states besides the summary."""

    triage_runs: list[dict[str, Any]] = field(default_factory=list)   # distinct models + thresholds
    ai_models: list[dict[str, Any]] = field(default_factory=list)
    learned_models: list[dict[str, Any]] = field(default_factory=list)
    active_learning: dict[str, Any] | None = None
    review: Any = None                                                # web.services.overview.Overview
    matches: list[dict[str, Any]] = field(default_factory=list)
    qa: list[Any] = field(default_factory=list)                       # learn.qa.QaResult
    precision_check: dict[str, Any] | None = None   # the int8 detector against fp32, last triage


def _triage_runs(s: Session, case_id: int) -> list[dict[str, Any]]:
    try:
        from sichter.store.ai_models import Triage
    except ImportError:
        return []
    runs: dict[str, dict[str, Any]] = {}
    rows = s.execute(select(Triage.models, Triage.thresholds, Triage.computed_at, Triage.computed_by)
                     .where(Triage.case_id == case_id).execution_options(yield_per=5000))
    for models, thresholds, at, by in rows:
        key = json.dumps([models, thresholds], sort_keys=True)
        run = runs.setdefault(key, {"models": models or {}, "thresholds": thresholds or {},
                                    "items": 0, "first": at, "last": at, "by": set()})
        run["items"] += 1
        run["first"], run["last"] = min(run["first"], at), max(run["last"], at)
        run["by"].add(by)
    return [{**r, "by": ", ".join(sorted(r["by"]))} for r in runs.values()]


def _ai_models(s: Session) -> list[dict[str, Any]]:
    try:
        from sichter.store.ai_models import AIModel
    except ImportError:
        return []
    return [{"name": m.name, "version": m.version, "sha256": m.sha256}
            for m in s.scalars(select(AIModel).order_by(AIModel.name, AIModel.version))]


def _precision_check(s: Session, case_id: int) -> dict[str, Any] | None:
    """The last triage's summary of the int8 detector checked against fp32 on this case."""
    from sichter.store.models import CaseLog

    details = s.scalar(select(CaseLog.details).where(CaseLog.case_id == case_id,
                                                     CaseLog.action.in_(("triage", "rescore")))
                       .order_by(CaseLog.id.desc()).limit(1))
    found = (details or {}).get("precision_check")
    return found if isinstance(found, dict) else None


def _matches(s: Session, case_id: int) -> list[dict[str, Any]]:
    try:
        from sichter.store.hashset_models import HashMatch, HashSet
    except ImportError:
        return []
    rows = s.execute(select(HashSet.name, HashSet.role, HashMatch.kind,
                            func.count(func.distinct(HashMatch.content_id)))
                     .join(HashSet, HashSet.id == HashMatch.hash_set_id)
                     .where(HashMatch.case_id == case_id)
                     .group_by(HashSet.name, HashSet.role, HashMatch.kind)
                     .order_by(HashSet.name, HashMatch.kind))
    return [{"set": n, "role": r, "kind": k, "contents": int(c)} for n, r, k, c in rows]


def _review(s: Session, case_id: int) -> Any:
    try:
        from sichter.web.services.overview import overview
    except ImportError:
        return None
    return overview(s, case_id)


def case_figures(sessions: sessionmaker[Session], case_name: str) -> CaseFigures:
    from sichter.learn import qa

    with sessions() as s:
        case = get_case(s, case_name)
        figures = CaseFigures(_triage_runs(s, case.id), _ai_models(s))
        figures.learned_models = [
            {"version": m.version, "active": m.active, "cases": m.training_cases, "items": m.n_items,
             "fingerprint": m.fingerprint, "threshold": m.threshold, "cv": m.metrics.get("cv") or {},
             "promoted": f"{m.promoted_at:%Y-%m-%d %H:%M} by {m.promoted_by}" if m.promoted_at else None}
            for m in s.scalars(select(LearnedModel).order_by(LearnedModel.id))]
        state = s.scalar(select(ActiveLearningState).where(ActiveLearningState.case_id == case.id))
        if state is not None:
            figures.active_learning = {**state.details, "round": state.round,
                                       "decisions": state.decisions_used, "status": state.status,
                                       "at": state.updated_at}
        figures.review = _review(s, case.id)
        figures.matches = _matches(s, case.id)
        figures.precision_check = _precision_check(s, case.id)
        sample_ids = list(s.scalars(select(QaSample.id).where(QaSample.case_id == case.id)
                                    .order_by(QaSample.id)))
    figures.qa = [qa.result(sessions, case_name, sid) for sid in sample_ids]
    return figures


def _category_label(scheme: str, code: str) -> str:
    try:
        from sichter.web.services.schemes import label
    except ImportError:
        return code
    return f"{code} – {label(scheme, code, 'en')}"


def render_case_report(sessions: sessionmaker[Session], case_name: str) -> str:
    """The case report as a self-contained HTML document (print styles for the PDF)."""
    return _env().get_template("case_report.html").render(category_label=_category_label,
        s=summarise(sessions, case_name), f=case_figures(sessions, case_name), version=__version__,
        generated=datetime.now(UTC).isoformat(timespec="seconds"))


def write_case_report(sessions: sessionmaker[Session], case_name: str, out: Path,
                      html_out: Path | None = None) -> Path:
    """Write the report as PDF to ``out`` (and as HTML to ``html_out`` if given)."""
    html = render_case_report(sessions, case_name)
    if html_out is not None:
        html_out.write_text(html, encoding="utf-8")
    from weasyprint import HTML

    try:
        HTML(string=html).write_pdf(out)
    except OSError as exc:
        raise SichterError(f"cannot write the PDF report to {out}: {exc.strerror or exc}") from exc
    return out
