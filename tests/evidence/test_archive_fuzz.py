"""Garbage that looks like an archive is reported, never crashes or hangs the walk."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rar_files import rar4, rar5

from sichter.demo.build import _7z, _tar_gz, _zip
from sichter.evidence.model import ContainerDone, FileOccurrence
from sichter.evidence.walk import walk
from sichter.settings import Limits

MAGICS = [b"PK\x03\x04", b"PK\x05\x06", b"7z\xbc\xaf\x27\x1c", b"\x1f\x8b\x08", b"BZh9",
          b"\xfd7zXZ\x00", b"Rar!\x1a\x07\x00", b"Rar!\x1a\x07\x01\x00",
          b"ANDROID BACKUP\n5\n1\nnone\n", b"ANDROID BACKUP\n5\n0\nnone\n"]
VALID = [_zip({"a/b.txt": b"hello" * 50, "c.bin": bytes(range(256))}),
         _tar_gz({"x/y.txt": b"world" * 50}),
         _7z({"p/q.txt": b"seven" * 50}),
         rar4({"r/s.txt": b"rar four" * 50}),
         rar5({"r/t.txt": b"rar five" * 50})]


def _walk_bytes(data: bytes) -> list[FileOccurrence | ContainerDone]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.bin"
        path.write_bytes(data)
        return list(walk(path, Limits(max_member_bytes=1 << 20, expansion_floor_bytes=1 << 20)))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(MAGICS), st.binary(max_size=3000))
def test_random_bytes_behind_an_archive_magic_are_an_error_not_a_crash(magic: bytes, tail: bytes) -> None:
    events = _walk_bytes(magic + tail)
    assert isinstance(events[0], FileOccurrence) and events[0].path == "x.bin"
    for e in events[1:]:
        if isinstance(e, FileOccurrence):
            assert e.payload is not None or e.error


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(VALID), st.data())
def test_damaged_valid_archives_are_an_error_not_a_crash(archive: bytes, data: st.DataObject) -> None:
    damaged = bytearray(archive)
    for _ in range(data.draw(st.integers(1, 8))):
        pos = data.draw(st.integers(0, len(damaged) - 1))
        damaged[pos] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(len(damaged) // 3, len(damaged)))
    events = _walk_bytes(bytes(damaged[:cut]))
    assert events[0].path == "x.bin"
    dones = [e for e in events if isinstance(e, ContainerDone)]
    members = [e for e in events[1:] if isinstance(e, FileOccurrence)]
    assert dones or not members  # an opened container always reports how it ended


def test_intact_archives_walk_cleanly() -> None:
    for archive in VALID:
        events = _walk_bytes(archive)
        dones = [e for e in events if isinstance(e, ContainerDone)]
        assert dones and dones[-1].error is None
        assert all(e.error is None for e in events if isinstance(e, FileOccurrence))

