"""TAR members, streamed in order (plain or inside gzip/bzip2/xz); constant memory."""

from __future__ import annotations

import tarfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import BinaryIO

from sichter.errors import CorruptData, EvidenceError
from sichter.evidence.member_io import member_payload
from sichter.evidence.model import (
    ContainerDone,
    ExpansionBudget,
    FileOccurrence,
    Timestamps,
    WalkEvent,
)
from sichter.evidence.naming import MemberNames


class TarReader:
    kind = "tar"

    def members(
        self, fileobj: BinaryIO, parent: FileOccurrence, budget: ExpansionBudget
    ) -> Iterator[WalkEvent]:
        try:
            archive = tarfile.open(fileobj=fileobj, mode="r|")  # noqa: SIM115
        except (tarfile.TarError, EOFError, OSError) as exc:
            raise CorruptData(f"corrupt tar archive: {exc}") from exc
        names = MemberNames()
        count = 0
        error: str | None = None
        try:
            while True:
                try:
                    info = archive.next()
                except (tarfile.TarError, EOFError, OSError, ValueError) as exc:
                    error = f"corrupt tar archive after {count} members: {exc}"
                    break
                except EvidenceError as exc:  # the decompressor's budget ran out
                    error = str(exc)
                    break
                if info is None:
                    break
                if not info.isfile():
                    continue  # directories, links and devices carry no content of their own
                if error := budget.take_member():
                    break
                count += 1
                payload = None
                occ_error: str | None = None
                try:
                    payload = member_payload(
                        info.size, _opener(archive, info), budget, info.name
                    )
                except EvidenceError as exc:
                    occ_error = str(exc)
                except (tarfile.TarError, EOFError, OSError) as exc:
                    occ_error = f"corrupt tar member: {exc}"
                yield FileOccurrence(
                    source=parent.source,
                    locator=parent.locator.child(self.kind, names.unique(info.name)),
                    payload=payload,
                    size=info.size,
                    times=Timestamps(modified=datetime.fromtimestamp(info.mtime, UTC)
                                     if info.mtime else None),
                    error=occ_error,
                )
                if occ_error and occ_error.startswith("decompression bomb"):
                    error = occ_error
                    break
        finally:
            archive.close()
        yield ContainerDone(parent.source, parent.locator, count, error)


def _opener(archive: tarfile.TarFile, info: tarfile.TarInfo) -> Callable[[], BinaryIO]:
    return lambda: _extract(archive, info)


def _extract(archive: tarfile.TarFile, info: tarfile.TarInfo) -> BinaryIO:
    handle = archive.extractfile(info)
    if handle is None:
        raise CorruptData("tar member has no content")
    return handle  # type: ignore[return-value]
