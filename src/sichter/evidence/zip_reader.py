"""ZIP members, read in memory with zip-bomb limits; nothing is ever extracted by path."""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import BinaryIO, cast

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


class ZipReader:
    kind = "zip"

    def members(
        self, fileobj: BinaryIO, parent: FileOccurrence, budget: ExpansionBudget
    ) -> Iterator[WalkEvent]:
        try:
            archive = zipfile.ZipFile(fileobj)  # noqa: SIM115 - closed below
        except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
            raise CorruptData(f"corrupt zip archive: {exc}") from exc
        names = MemberNames()
        count = 0
        error: str | None = None
        try:
            infos = archive.infolist()
            for info in infos:
                if info.is_dir():
                    continue
                if budget.members >= budget.max_members:
                    error = f"more than {budget.max_members:,} members (limit); rest not read"
                    break
                budget.members += 1
                count += 1
                locator = parent.locator.child(self.kind, names.unique(info.filename))
                occ_error: str | None = None
                payload = None
                if info.flag_bits & 0x1:
                    occ_error = "encrypted member (password required)"
                else:
                    try:
                        payload = member_payload(
                            info.file_size, _opener(archive, info), budget, info.filename
                        )
                    except EvidenceError as exc:
                        occ_error = str(exc)
                    except (zipfile.BadZipFile, EOFError, OSError, ValueError,
                            NotImplementedError, RuntimeError) as exc:
                        occ_error = f"corrupt zip member: {exc}"
                yield FileOccurrence(
                    source=parent.source,
                    locator=locator,
                    payload=payload,
                    size=info.file_size,
                    times=Timestamps(modified=_zip_time(info.date_time)),
                    error=occ_error,
                )
                if occ_error and occ_error.startswith("decompression bomb"):
                    error = occ_error
                    break
        finally:
            archive.close()
        yield ContainerDone(parent.source, parent.locator, count, error)


def _opener(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Callable[[], BinaryIO]:
    return lambda: cast(BinaryIO, archive.open(info))


def _zip_time(value: tuple[int, int, int, int, int, int]) -> datetime | None:
    try:
        return datetime(*value)
    except ValueError:
        return None
