"""Ingest: walk sources, analyse each distinct content once, record every occurrence.

The walk runs in this process (it reads sequentially); analysis runs in the worker pool.
Nothing is lost on interruption: batches commit as they fill, and a second run skips what is
recorded and continues where the first stopped.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from sichter.errors import EvidenceError, UsageError
from sichter.evidence.fingerprint import Fingerprint, fingerprint
from sichter.evidence.locator import Locator, printable
from sichter.evidence.model import ContainerDone, FileOccurrence, ImageIntegrity, Stream
from sichter.evidence.walk import source_name, walk
from sichter.pipeline.analyse import AnalysisSettings, analyse
from sichter.pipeline.known import known_lookup
from sichter.pipeline.ledger import Ledger
from sichter.pipeline.stages import registry
from sichter.pipeline.workers import Outcome, Task, WorkerPool
from sichter.settings import Settings
from sichter.store import cases
from sichter.store.crypto import load_master_key
from sichter.store.ingest_writer import ContainerStatus, IngestWriter, NewOccurrence, path_key
from sichter.store.models import CaseLog

MIN_THROUGHPUT = 20 * 1024 * 1024  # bytes/s a slow disk still reads; scales the time limit


@dataclass
class Progress:
    files: int = 0
    bytes: int = 0
    errors: int = 0
    skipped: int = 0
    new_contents: int = 0


@dataclass
class IngestSummary:
    case: str
    ingest_id: int
    progress: Progress
    sources: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)


ProgressCallback = Callable[[Progress], None]


def ingest(settings: Settings, sessions: sessionmaker[Session], case_name: str,
           sources: list[Path], on_progress: ProgressCallback | None = None) -> IngestSummary:
    missing = [str(p) for p in sources if not p.exists() and not p.is_symlink()]
    if missing:
        raise UsageError("evidence source not found: " + ", ".join(missing))
    user = settings.effective_user
    master = load_master_key(settings.home, settings.master_key)
    with sessions.begin() as s:
        case = cases.get_case(s, case_name)
        case_id, key = case.id, cases.data_key(case, master)
    before = {str(p.resolve()): fingerprint(p) for p in sources}
    with sessions.begin() as s:
        entry = cases.log(s, case_id, user, "ingest", {
            "status": "running",
            "sources": [_source_record(p, fp, None) for p, fp in before.items()],
            "settings": settings.recorded(),
        })
        ingest_id = entry.id
    started = time.monotonic()
    _prepare_models(settings)
    run = _IngestRun(settings, sessions, case_id, ingest_id, key, on_progress)
    status = "failed"
    stage_warnings: list[str] = []
    try:
        run.run(sources)
        for name, stage in registry().post_ingest.items():
            if name not in settings.skip_stages:
                stage_warnings += stage(settings, sessions, case_id) or []
        status = "completed"
    except KeyboardInterrupt:
        status = "interrupted"
        raise
    finally:
        after = {src: _safe_fingerprint(Path(src)) for src in before}
        warnings = [f"evidence source changed during ingest: {printable(src)}"
                    for src in before if after[src] != before[src]]
        warnings += [w for image in run.images if (w := image.warning())]
        warnings += stage_warnings
        records = [_source_record(src, before[src], after[src]) for src in before]
        with sessions.begin() as s:
            final = s.get(CaseLog, ingest_id)
            assert final is not None
            final.details = {**final.details, "status": status, "sources": records,
                             "warnings": warnings, "finished_at": cases.now().isoformat(),
                             "images": [image.as_dict() for image in run.images],
                             "counts": run.progress.__dict__.copy()}
    return IngestSummary(case_name, ingest_id, run.progress, records,
                         time.monotonic() - started, warnings)


def _prepare_models(settings: Settings) -> None:
    """Models made on this machine are made once, here, before the workers start: not by each
    worker against its first file's time limit. A failure is left for the ai stage to report
    on every image."""
    if settings.triage.detector_precision == "int8" and "ai" not in settings.skip_stages:
        from sichter.classify import nudenet_int8
        from sichter.classify.models import ModelUnavailable

        with contextlib.suppress(ModelUnavailable):
            nudenet_int8.model_path(settings.models_dir)


def _safe_fingerprint(path: Path) -> Fingerprint | None:
    try:
        return fingerprint(path)
    except OSError:
        return None


def _source_record(path: str, before: Fingerprint, after: Fingerprint | None) -> dict[str, Any]:
    return {"path": printable(path), "kind": before.kind, "size": before.size, "entries": before.entries,
            "sha256_before": before.sha256, "sha256_after": after.sha256 if after else None,
            "unchanged": after == before if after is not None else None}


class _IngestRun:
    def __init__(self, settings: Settings, sessions: sessionmaker[Session], case_id: int,
                 ingest_id: int, data_key: bytes, on_progress: ProgressCallback | None) -> None:
        self.settings = settings
        self.limits = settings.limits
        self.writer = IngestWriter(sessions, case_id, ingest_id)
        self.analysis = AnalysisSettings(case_id=case_id, data_key=data_key,
                                         analysis_px=settings.analysis_px,
                                         thumbnail_px=settings.thumbnail_px,
                                         max_pixels=settings.limits.max_image_pixels,
                                         max_image_bytes=settings.limits.max_inline_bytes,
                                         skip_stages=frozenset(settings.skip_stages),
                                         options=settings.recorded())
        self.progress = Progress()
        self.on_progress = on_progress
        self.state = self.writer.resume_state()
        self.ledger = Ledger(content_ids=self.state.content_ids,
                             is_known=known_lookup(sessions) if settings.known_skip_stages else None,
                             known_skip=frozenset(settings.known_skip_stages))
        self.tasks: dict[str, tuple[int, FileOccurrence]] = {}
        self.images: list[ImageIntegrity] = []  # disk-image verifications, for the case log
        self.last_commit = time.monotonic()

    def run(self, sources: list[Path]) -> None:
        pool = WorkerPool(self.settings.workers, self.analysis, self.ledger.decide,
                          self.limits.worker_memory_bytes)
        with pool:
            for source in sources:
                self._walk_source(source, pool)
            while pool.pending:
                self._drain(pool)
        self._commit(force=True)
        if self.ledger.buffered:
            raise RuntimeError("ingest finished with occurrences whose content was never recorded")

    def _walk_source(self, source: Path, pool: WorkerPool) -> None:
        src = source_name(source)

        def should_expand(locator: Locator) -> bool:
            return path_key(src, str(locator)) not in self.state.expanded

        for event in walk(source, self.limits, should_expand):
            if isinstance(event, ContainerDone):
                self.ledger.add_container(ContainerStatus(path_key(src, str(event.locator)),
                                                          event.members, event.error))
                continue
            if isinstance(event, ImageIntegrity):
                self.images.append(event)
                continue
            key = path_key(src, event.path)
            if key in self.state.recorded or key in self.tasks:
                self.progress.skipped += 1
                continue
            seq = self.ledger.next_seq()
            if event.payload is None:
                self._record(seq, event, None, event.error or "no content")
            elif isinstance(event.payload, Stream):
                self._analyse_here(seq, key, event)
            else:
                self.tasks[key] = (seq, event)
                pool.submit(Task(key, event.payload, self._timeout(event.size)))
            while pool.pending > 4 * pool.size:  # bound what waits in memory
                self._drain(pool)
            self._drain(pool, wait=0)

    def _timeout(self, size: int | None) -> float:
        return self.limits.per_file_timeout_s + (size or 0) / MIN_THROUGHPUT

    def _analyse_here(self, seq: int, key: str, event: FileOccurrence) -> None:
        """Large archive members can only be read now, in this process; they are hashed here."""
        assert event.payload is not None
        try:
            facts = analyse(event.payload, self.analysis, partial(self.ledger.decide, key))
            error = None
        except EvidenceError as exc:
            facts, error = None, str(exc)
        sha = self.ledger.content_done(key, facts, error)
        self._record(seq, event, sha, error, content_error=facts.error if facts else None)

    def _drain(self, pool: WorkerPool, wait: float = 0.05) -> None:
        for outcome in pool.poll(timeout=wait):
            self._finish(outcome)
        self._commit()

    def _finish(self, outcome: Outcome) -> None:
        seq, event = self.tasks.pop(outcome.key)
        sha = self.ledger.content_done(outcome.key, outcome.facts, outcome.error)
        self._record(seq, event, sha, outcome.error,
                     content_error=outcome.facts.error if outcome.facts else None)

    def _record(self, seq: int, event: FileOccurrence, sha: str | None, error: str | None,
                content_error: str | None = None) -> None:
        # A partly recovered file carries content and its own error (which part is lost).
        error = "; ".join(dict.fromkeys(e for e in (event.error, error) if e)) or None
        self.ledger.add_occurrence(seq, NewOccurrence(
            key=path_key(event.source, event.path), source=event.source, path=event.path,
            origin=[list(hop) for hop in event.locator.chain()], size=event.size,
            times=event.times.as_dict(), deleted=event.deleted, error=error, sha256=sha,
            carved=event.carved, original_path=event.original_path))
        self.progress.files += 1
        self.progress.bytes += event.size or 0
        if error or content_error:
            self.progress.errors += 1
        if self.on_progress:
            self.on_progress(self.progress)

    def _commit(self, force: bool = False) -> None:
        due = (self.ledger.buffered >= self.settings.commit_every
               or time.monotonic() - self.last_commit > 2.0)
        if not (force or due):
            return
        contents, occurrences, containers, seqs = self.ledger.batch()
        if contents or occurrences or containers:
            self.writer.write(contents, occurrences, containers, self.ledger.content_ids)
            self.progress.new_contents += len(contents)
        self.ledger.committed(seqs)
        self.last_commit = time.monotonic()
