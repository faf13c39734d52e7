"""Writes what an ingest found, in batches, each batch one transaction.

A killed ingest loses at most its last uncommitted batch; because occurrences are unique by
(case, path key), the resumed run simply adds what is missing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from sichter.store.models import Content, Derivative, Occurrence


def path_key(source: str, path: str) -> str:
    """Stable unique key of an occurrence; paths can be longer than an index allows."""
    return hashlib.sha256(f"{source}\x00{path}".encode("utf-8", "surrogateescape")).hexdigest()


@dataclass
class NewContent:
    sha256: str
    sha1: str
    md5: str
    size: int
    media_type: str
    mime: str
    analysed_at: datetime
    width: int | None = None
    height: int | None = None
    exif: dict[str, Any] | None = None
    pdq: str | None = None
    pdq_quality: int | None = None
    error: str | None = None
    thumbnail: bytes | None = None  # encrypted
    analysis: dict[str, Any] | None = None
    derivatives: dict[str, tuple[str, bytes]] | None = None  # kind -> (mime, encrypted bytes)


@dataclass
class NewOccurrence:
    key: str
    source: str
    path: str
    origin: list[list[str]]
    size: int | None
    times: dict[str, str | None]
    deleted: bool
    error: str | None
    sha256: str | None  # None when the content could not be read at all
    carved: bool = False  # recovered from unallocated space of a disk image
    original_path: str | None = None  # where a backup says the file was (iOS backups)


@dataclass
class ContainerStatus:
    key: str
    members: int
    error: str | None


@dataclass
class ResumeState:
    recorded: set[str]
    expanded: set[str]
    content_ids: dict[str, int]


class IngestWriter:
    def __init__(self, sessions: sessionmaker[Session], case_id: int, ingest_id: int) -> None:
        self._sessions = sessions
        self._case_id = case_id
        self._ingest_id = ingest_id

    def resume_state(self) -> ResumeState:
        with self._sessions() as s:
            rows = s.execute(select(Occurrence.path_key, Occurrence.expanded)
                             .where(Occurrence.case_id == self._case_id)).all()
            contents = s.execute(select(Content.sha256, Content.id)
                                 .where(Content.case_id == self._case_id)).all()
        return ResumeState({k for k, _ in rows}, {k for k, e in rows if e},
                           {sha: cid for sha, cid in contents})

    def write(self, contents: list[NewContent], occurrences: list[NewOccurrence],
              containers: list[ContainerStatus], content_ids: dict[str, int]) -> None:
        """Insert a batch; ``content_ids`` gains the ids of the new contents."""
        with self._sessions.begin() as s:
            created: list[tuple[NewContent, Content]] = []
            for c in contents:
                row = Content(case_id=self._case_id, sha256=c.sha256, sha1=c.sha1, md5=c.md5,
                              size=c.size, media_type=c.media_type, mime=c.mime, width=c.width,
                              height=c.height, exif=c.exif, pdq=c.pdq, pdq_quality=c.pdq_quality,
                              error=c.error, analysed_at=c.analysed_at, analysis=c.analysis or {})
                s.add(row)
                created.append((c, row))
            s.flush()
            for c, row in created:
                content_ids[c.sha256] = row.id
                if c.thumbnail is not None:
                    s.add(Derivative(case_id=self._case_id, content_id=row.id, kind="thumbnail",
                                     mime="image/jpeg", data=c.thumbnail))
                for kind, (mime, data) in (c.derivatives or {}).items():
                    s.add(Derivative(case_id=self._case_id, content_id=row.id, kind=kind,
                                     mime=mime, data=data))
            s.add_all(
                Occurrence(case_id=self._case_id, ingest_id=self._ingest_id,
                           content_id=content_ids[o.sha256] if o.sha256 else None,
                           source=o.source, path=o.path, path_key=o.key, origin=o.origin,
                           size=o.size, modified=o.times.get("modified"),
                           accessed=o.times.get("accessed"), changed=o.times.get("changed"),
                           created=o.times.get("created"), deleted=o.deleted, error=o.error,
                           carved=o.carved, original_path=o.original_path)
                for o in occurrences
            )
            s.flush()
            for status in containers:
                s.execute(update(Occurrence)
                          .where(Occurrence.case_id == self._case_id,
                                 Occurrence.path_key == status.key)
                          .values(is_container=True, expanded=True, members=status.members,
                                  container_error=status.error))
