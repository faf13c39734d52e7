"""Bounded reading of container members: every byte counts against the expansion budget."""

from __future__ import annotations

from collections.abc import Callable
from typing import BinaryIO, cast

from sichter.errors import LimitExceeded
from sichter.evidence.model import ExpansionBudget, Inline, Payload, Stream

CHUNK = 1024 * 1024


class BoundedReader:
    """Wraps a decompressing stream and raises ``LimitExceeded`` past the budget's allowance."""

    def __init__(self, raw: BinaryIO, budget: ExpansionBudget, name: str) -> None:
        self._raw = raw
        self._budget = budget
        self._name = name
        self._read = 0

    def read(self, size: int = -1) -> bytes:
        want = CHUNK if size is None or size < 0 else size
        data = self._raw.read(want)
        self._read += len(data)
        self._budget.expanded += len(data)
        if self._read > self._budget.max_member_bytes:
            raise LimitExceeded(
                f"member larger than {self._budget.max_member_bytes:,} bytes (limit)"
            )
        if self._budget.allowance() <= 0 and data:
            raise LimitExceeded(self._budget.describe_bomb())
        return data

    def readall(self) -> bytes:
        parts = []
        while chunk := self.read(CHUNK):
            parts.append(chunk)
        return b"".join(parts)

    def close(self) -> None:
        self._raw.close()

    def __enter__(self) -> BoundedReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def member_payload(
    declared_size: int | None,
    opener: Callable[[], BinaryIO],
    budget: ExpansionBudget,
    name: str,
) -> Payload:
    """Read a member into memory when small, else hand out a bounded stream of it.

    Raises ``LimitExceeded`` for a member whose declared size is over the member limit or
    whose content blows the archive's expansion budget.
    """
    if declared_size is not None and declared_size > budget.max_member_bytes:
        raise LimitExceeded(
            f"member of {declared_size:,} bytes exceeds the limit of {budget.max_member_bytes:,}"
        )
    # A declared size within the member limit is only a claim, so it is not held against the
    # expansion budget: a zip directory can say 4 GB for an 80 KB photo, which was then refused
    # as a bomb, left unhashed, and ended the archive's walk. The bounded reader counts what
    # the member really expands to, and a real bomb still stops at the budget.
    if declared_size is None or declared_size <= budget.max_inline_bytes:
        with BoundedReader(opener(), budget, name) as reader:
            data = _read_up_to(reader, budget.max_inline_bytes + 1)
        if len(data) <= budget.max_inline_bytes:
            return Inline(data)
        # A lying or absent size: too big for memory after all; hand out a stream.
    return Stream(lambda: cast(BinaryIO, BoundedReader(opener(), budget, name)))


def _read_up_to(reader: BoundedReader, limit: int) -> bytes:
    parts: list[bytes] = []
    total = 0
    while total < limit:
        chunk = reader.read(min(CHUNK, limit - total))
        if not chunk:
            break
        parts.append(chunk)
        total += len(chunk)
    return b"".join(parts)
