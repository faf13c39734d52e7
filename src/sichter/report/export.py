"""The export contract: one record per file occurrence, as JSONL or CSV.

People script against these field names: later work adds fields, never renames them.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import Any, TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from sichter.pipeline.stages import ExportFields, registry
from sichter.store.cases import get_case
from sichter.store.models import Content, Occurrence

FIELDS = ["path", "source", "size", "md5", "sha1", "sha256", "media_type", "mime", "width",
          "height", "pdq", "pdq_quality", "exif", "deleted", "error", "matches", "scores",
          "priority", "category", "modified", "accessed", "changed", "created", "carved",
          "original_path"]


def records(sessions: sessionmaker[Session], case_name: str) -> Iterator[dict[str, Any]]:
    """Every occurrence of the case, ordered by source and path, joined with its content."""
    with sessions() as s:
        case_id = get_case(s, case_name).id
        query = (select(Occurrence, Content)
                 .outerjoin(Content, Content.id == Occurrence.content_id)
                 .where(Occurrence.case_id == case_id)
                 .order_by(Occurrence.source, Occurrence.path)
                 .execution_options(yield_per=2000))
        extras = registry().export
        batch: list[tuple[Occurrence, Content | None]] = []
        for row in s.execute(query):
            batch.append((row[0], row[1]))
            if len(batch) >= 2000:
                yield from _enriched(s, case_id, batch, extras)
                batch = []
        yield from _enriched(s, case_id, batch, extras)


def _enriched(session: Session, case_id: int, batch: list[tuple[Occurrence, Content | None]],
              extras: dict[str, ExportFields]) -> Iterator[dict[str, Any]]:
    content_ids = sorted({c.id for _, c in batch if c is not None})
    added: list[dict[int, dict[str, Any]]] = [fn(session, case_id, content_ids)
                                              for fn in extras.values()] if content_ids else []
    for occ, content in batch:
        record = _record(occ, content)
        if content is not None:
            for fields in added:
                record.update(fields.get(content.id, {}))
        yield record


def _record(occ: Occurrence, content: Content | None) -> dict[str, Any]:
    errors = [e for e in (occ.error, content.error if content else None, occ.container_error) if e]
    return {
        "path": occ.path,
        "source": occ.source,
        "size": content.size if content else occ.size,
        "md5": content.md5 if content else None,
        "sha1": content.sha1 if content else None,
        "sha256": content.sha256 if content else None,
        "media_type": content.media_type if content else "other",
        "mime": content.mime if content else None,
        "width": content.width if content else None,
        "height": content.height if content else None,
        "pdq": content.pdq if content else None,
        "pdq_quality": content.pdq_quality if content else None,
        "exif": content.exif if content else None,
        "deleted": bool(occ.deleted),
        "error": "; ".join(dict.fromkeys(errors)) or None,
        "matches": [],
        "scores": {},
        "priority": None,
        "category": None,
        "modified": occ.modified,
        "accessed": occ.accessed,
        "changed": occ.changed,
        "created": occ.created,
        "carved": bool(occ.carved),
        "original_path": occ.original_path,
    }


def write_jsonl(rows: Iterator[dict[str, Any]], out: TextIO) -> int:
    n = 0
    for row in rows:
        out.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")
        n += 1
    return n


def write_csv(rows: Iterator[dict[str, Any]], out: TextIO) -> int:
    writer = csv.DictWriter(out, fieldnames=FIELDS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    n = 0
    for row in rows:
        flat = {k: (json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else v)
                for k, v in row.items()}
        writer.writerow(flat)
        n += 1
    return n
