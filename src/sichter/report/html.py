"""The HTML case report. It shows figures and provenance, never an image: a report file sits
outside the encrypted store, so it must hold no derivative of the evidence."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy.orm import Session, sessionmaker

from sichter import __version__
from sichter.report.summary import summarise


def _env() -> Environment:
    env = Environment(loader=PackageLoader("sichter.report", "templates"),
                      autoescape=select_autoescape(["html"]))
    env.filters["thousands"] = lambda n: f"{n:,}".replace(",", "\u202f")
    env.filters["setting"] = _setting
    return env


def render_report(sessions: sessionmaker[Session], case_name: str) -> str:
    summary = summarise(sessions, case_name)
    from sichter.web.services.overview import case_review  # review figures (issue 6)

    return _env().get_template("report.html").render(review=case_review(sessions, case_name),
        s=summary, version=__version__, generated=datetime.now(UTC).isoformat(timespec="seconds"))


def write_report(sessions: sessionmaker[Session], case_name: str, out: Path) -> Path:
    out.write_text(render_report(sessions, case_name), encoding="utf-8")
    return out


def _setting(value: Any) -> str:
    """A recorded setting as a person reads it: ``a: 1, b: 2`` for a mapping, not a repr."""
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_setting(v)}" for k, v in sorted(value.items()))
    if isinstance(value, list | tuple):
        return ", ".join(_setting(v) for v in value)
    return "–" if value is None else str(value)
