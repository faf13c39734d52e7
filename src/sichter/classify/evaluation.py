"""``sichter evaluate``: an agency's labelled CSV joined with a case's scores and priorities."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from sichter.errors import UsageError
from sichter.store.ai_models import Triage
from sichter.store.cases import get_case
from sichter.store.models import Content
from sichter.triage.evaluate import Labelled, evaluate

COLUMNS = ("sha256", "explicit", "age", "category")
_TRUE = {"1", "true", "yes", "y", "explicit"}
_FALSE = {"0", "false", "no", "n", ""}
MAX_AGE = 130.0


def read_labels(path: Path) -> dict[str, tuple[bool | None, float | None, str | None]]:
    """sha256 → (explicit, age, category) from a CSV with columns sha256,explicit,age,category."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise UsageError(f"{path}: missing columns {', '.join(missing)} "
                                 f"(need {','.join(COLUMNS)})")
            labels: dict[str, tuple[bool | None, float | None, str | None]] = {}
            lines: dict[str, int] = {}
            for n, row in enumerate(reader, start=2):
                sha = (row["sha256"] or "").strip().lower()
                if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
                    raise UsageError(f"{path}:{n}: not a SHA-256: {row['sha256']!r}")
                raw = (row["explicit"] or "").strip().lower()
                if raw not in _TRUE | _FALSE:
                    raise UsageError(f"{path}:{n}: explicit must be 0/1, got {row['explicit']!r}")
                explicit = None if raw == "" else raw in _TRUE
                age_text = (row["age"] or "").strip()
                try:
                    age = float(age_text) if age_text else None
                except ValueError as exc:
                    raise UsageError(f"{path}:{n}: age is not a number: {age_text!r}") from exc
                if age is not None and not 0.0 <= age <= MAX_AGE:  # also NaN
                    raise UsageError(f"{path}:{n}: age must be 0 to {MAX_AGE:g} years, got "
                                     f"{age_text!r}")
                label = (explicit, age, (row["category"] or "").strip() or None)
                if sha in labels and labels[sha] != label:
                    raise UsageError(f"{path}:{n}: {sha} is labelled differently on line "
                                     f"{lines[sha]}")
                labels[sha], lines[sha] = label, lines.get(sha, n)
    except OSError as exc:
        raise UsageError(f"cannot read labels {path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path}: not UTF-8 text") from exc
    return labels


def evaluate_case(sessions: sessionmaker[Session], case_name: str, labels_path: Path,
                  threshold: float) -> dict[str, Any]:
    if not 0.0 <= threshold <= 1.0:  # also NaN
        raise UsageError(f"the explicit threshold must be between 0 and 1, got {threshold}")
    labels = read_labels(labels_path)
    if not labels:
        raise UsageError(f"{labels_path}: no labelled rows")
    items: list[Labelled] = []
    with sessions() as s:
        case_id = get_case(s, case_name).id
        rows = s.execute(select(Content.sha256, Content.analysis, Triage.priority)
                         .outerjoin(Triage, Triage.content_id == Content.id)
                         .where(Content.case_id == case_id))
        for sha, analysis, priority in rows:
            if sha not in labels:
                continue
            explicit, age, category = labels[sha]
            facts = (analysis or {}).get("ai") or (analysis or {}).get("video") or {}
            faces = facts.get("faces", [])
            items.append(Labelled(sha, explicit, age, category, facts.get("explicit"),
                                  min((f["age"] for f in faces), default=None),
                                  facts.get("youngest_band") or "none", priority))
    if not items:
        raise UsageError(f"none of the {len(labels)} labelled files of {labels_path} is in "
                         f"case {case_name!r} (labels are joined on the file's SHA-256)")
    report = evaluate(items, threshold)
    report["labels"] = len(labels)
    report["labels_not_in_case"] = len(labels) - len(items)
    return report
