"""What walking an evidence path yields, keyed by path, for the archive and container tests."""

from __future__ import annotations

from pathlib import Path

from sichter.evidence.model import ContainerDone, FileOccurrence, open_payload
from sichter.evidence.walk import walk
from sichter.settings import Limits


def walked(path: Path, limits: Limits | None = None
           ) -> tuple[dict[str, FileOccurrence], list[ContainerDone]]:
    """Occurrences by path, and the containers' end events in order."""
    found: dict[str, FileOccurrence] = {}
    done: list[ContainerDone] = []
    for event in walk(path, limits or Limits()):
        if isinstance(event, ContainerDone):
            done.append(event)
        else:
            found[event.path] = event
    return found, done


def content(occ: FileOccurrence) -> bytes:
    """The occurrence's bytes (it must have a payload)."""
    assert occ.payload is not None, occ.error
    with open_payload(occ.payload) as f:
        return f.read()
