"""The ingest's bookkeeping between walking, analysing and committing.

Occurrences are numbered as the walk yields them. A container is marked fully expanded only
once every occurrence numbered before its end is committed, so that a resumed ingest never
skips a container whose members were lost with an uncommitted batch.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass, field

from sichter.pipeline.analyse import ContentFacts, Digests, Plan
from sichter.store.cases import now
from sichter.store.ingest_writer import ContainerStatus, NewContent, NewOccurrence


@dataclass
class Ledger:
    content_ids: dict[str, int]
    is_known: Callable[[dict[str, str]], bool] | None = None
    known_skip: frozenset[str] = frozenset()
    inflight: dict[str, object] = field(default_factory=dict)  # sha256 -> key analysing it
    digests_of: dict[object, Digests] = field(default_factory=dict)
    contents: list[NewContent] = field(default_factory=list)
    occurrences: list[tuple[int, NewOccurrence]] = field(default_factory=list)
    containers: list[tuple[int, ContainerStatus]] = field(default_factory=list)
    _uncommitted: list[int] = field(default_factory=list)  # heap of sequence numbers
    _committed: set[int] = field(default_factory=set)
    _next_seq: int = 0
    _pending: set[str] = field(default_factory=set)  # sha256 of contents not yet committed

    def next_seq(self) -> int:
        seq = self._next_seq
        self._next_seq += 1
        heapq.heappush(self._uncommitted, seq)
        return seq

    def decide(self, key: object, digests: Digests) -> Plan:
        """Is this content new to the case? The first worker to ask analyses it; content a
        hash set already knows skips the ``known_skip`` stages."""
        self.digests_of[key] = digests
        sha = digests.sha256
        if sha in self.content_ids or sha in self.inflight or sha in self._pending:
            return Plan(False)
        self.inflight[sha] = key
        if self.known_skip and self.is_known is not None and self.is_known(digests.hexdigests):
            return Plan(True, self.known_skip, known=True)
        return Plan(True)

    def content_done(self, key: object, facts: ContentFacts | None, error: str | None) -> str | None:
        """Record what a worker returned; the SHA-256 of the content, if it was hashed."""
        digests = facts.digests if facts is not None else self.digests_of.get(key)
        self.digests_of.pop(key, None)
        if digests is None:
            return None
        sha = digests.sha256
        if self.inflight.get(sha) == key:
            del self.inflight[sha]
            self._add_content(_new_content(digests, facts, error))
        elif sha not in self.content_ids and sha not in self.inflight and sha not in self._pending:
            # Its analysing worker died before hashing finished; this occurrence's facts stand in.
            self._add_content(_new_content(digests, facts, error))
        return sha

    def _add_content(self, content: NewContent) -> None:
        self.contents.append(content)
        self._pending.add(content.sha256)

    def add_occurrence(self, seq: int, occurrence: NewOccurrence) -> None:
        self.occurrences.append((seq, occurrence))

    def add_container(self, status: ContainerStatus) -> None:
        self.containers.append((self._next_seq, status))

    def batch(self) -> tuple[list[NewContent], list[NewOccurrence], list[ContainerStatus], list[int]]:
        """What can be committed now: contents, occurrences whose content row will exist, and
        containers whose every earlier occurrence is in this batch or already committed."""
        contents, self.contents = self.contents, []
        self._pending.clear()  # the caller commits them now; content_ids then holds them
        ready_shas = set(self.content_ids) | {c.sha256 for c in contents}
        ready = [(s, o) for s, o in self.occurrences if o.sha256 is None or o.sha256 in ready_shas]
        self.occurrences = [(s, o) for s, o in self.occurrences
                            if not (o.sha256 is None or o.sha256 in ready_shas)]
        seqs = [s for s, _ in ready]
        watermark = self._watermark(set(seqs))
        done = [c for s, c in self.containers if s <= watermark]
        self.containers = [(s, c) for s, c in self.containers if s > watermark]
        return contents, [o for _, o in ready], done, seqs

    def committed(self, seqs: list[int]) -> None:
        self._committed.update(seqs)
        while self._uncommitted and self._uncommitted[0] in self._committed:
            self._committed.discard(heapq.heappop(self._uncommitted))

    def _watermark(self, about_to_commit: set[int]) -> int:
        """Highest n such that every occurrence numbered below n is committed or in this batch."""
        for seq in sorted(self._uncommitted):
            if seq not in self._committed and seq not in about_to_commit:
                return seq
        return self._next_seq

    @property
    def buffered(self) -> int:
        return len(self.contents) + len(self.occurrences)


def _new_content(digests: Digests, facts: ContentFacts | None, error: str | None) -> NewContent:
    hexes = digests.hexdigests
    content = NewContent(sha256=hexes["sha256"], sha1=hexes["sha1"], md5=hexes["md5"],
                         size=digests.size, media_type=digests.media_type, mime=digests.mime,
                         analysed_at=now(), error=error)
    if facts is not None:
        content.width, content.height, content.exif = facts.width, facts.height, facts.exif
        content.error = facts.error or error
        content.thumbnail = facts.thumbnail
        content.analysis = facts.analysis
        content.derivatives = facts.derivatives
        if "pdq" in facts.signals:
            content.pdq, content.pdq_quality = facts.signals["pdq"]
    return content
