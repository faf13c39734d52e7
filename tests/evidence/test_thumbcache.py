"""Windows thumbnail caches give up the thumbnails Explorer kept (often of pictures deleted
long ago), for the layouts of Vista, Windows 7 and Windows 8 to 11."""

from __future__ import annotations

import hashlib
import struct
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from walk_support import content, walked

from sichter.demo.photos import encode, sample


def entry(version: int, entry_hash: int, data: bytes, name: str = "8e3ab1c2d4f60718") -> bytes:
    identifier = name.encode("utf-16-le")
    padding = b"\0" * ((-len(identifier)) % 8)
    sizes = struct.pack("<III", len(identifier), len(padding), len(data))
    if version == 20:  # Vista: a 4-character extension before the sizes
        fields = "jpg\0".encode("utf-16-le") + sizes + struct.pack("<IQQ", 0, 0, 0)
    elif version == 21:  # Windows 7
        fields = sizes + struct.pack("<IQQ", 0, 0, 0)
    else:  # Windows 8 to 11: width, height, unknown, data and header checksums
        fields = sizes + struct.pack("<IIIQQ", 96, 64, 0, 0, 0)
    body = struct.pack("<Q", entry_hash) + fields + identifier + padding + data
    return b"CMMM" + struct.pack("<I", 8 + len(body)) + body


def cache(version: int, thumbnails: list[tuple[int, bytes]]) -> bytes:
    entries = b"".join(entry(version, h, d) for h, d in thumbnails)
    if version >= 30:
        header = b"CMMM" + struct.pack("<IIIIII", version, 1, 0, 28, 28 + len(entries), len(thumbnails))
    else:
        header = b"CMMM" + struct.pack("<IIIII", version, 1, 24, 24 + len(entries), len(thumbnails))
    return header + entries


@pytest.mark.parametrize("version", [20, 21, 31, 32], ids=["Vista", "7", "8.1", "10"])
def test_the_thumbnails_of_a_cache_come_back_by_hash(version: int, tmp_path: Path) -> None:
    jpeg = encode(sample("coffee").resize((96, 64)), "JPEG")
    png = encode(sample("chelsea").resize((96, 64)), "PNG")
    (tmp_path / "ev").mkdir()
    (tmp_path / "ev" / "thumbcache_96.db").write_bytes(
        cache(version, [(0x8E3AB1C2D4F60718, jpeg), (0x1111, b""), (0x2222, png)]))
    found, done = walked(tmp_path / "ev")
    members = {p: o for p, o in found.items() if p.startswith("ev/thumbcache_96.db!/")}
    assert set(members) == {"ev/thumbcache_96.db!/0x8e3ab1c2d4f60718.jpg",
                            "ev/thumbcache_96.db!/0x0000000000002222.png"}
    assert content(members["ev/thumbcache_96.db!/0x8e3ab1c2d4f60718.jpg"]) == jpeg
    assert hashlib.sha256(content(members["ev/thumbcache_96.db!/0x0000000000002222.png"])
                          ).hexdigest() == hashlib.sha256(png).hexdigest()
    assert done[-1].error is None


def test_a_cut_cache_keeps_the_thumbnails_before_the_cut(tmp_path: Path) -> None:
    jpeg = encode(sample("coffee").resize((96, 64)), "JPEG")
    data = cache(21, [(1, jpeg), (2, jpeg[::-1] + jpeg)])
    (tmp_path / "ev").mkdir()
    (tmp_path / "ev" / "thumbcache_256.db").write_bytes(data[: len(data) - 100])
    found, done = walked(tmp_path / "ev")
    assert content(found["ev/thumbcache_256.db!/0x0000000000000001.jpg"]) == jpeg
    assert done[-1].error and "cut" in done[-1].error


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(version=st.sampled_from([20, 21, 32]), noise=st.binary(max_size=400))
def test_damaged_caches_are_an_error_not_a_crash(version: int, noise: bytes,
                                                 tmp_path_factory: pytest.TempPathFactory) -> None:
    folder = tmp_path_factory.mktemp("ev")
    jpeg = encode(sample("coffee").resize((32, 24)), "JPEG")
    good = cache(version, [(7, jpeg)])
    (folder / "thumbcache_32.db").write_bytes(good[:40] + noise + good[40:])
    found, done = walked(folder)
    assert f"{folder.name}/thumbcache_32.db" in found
    assert done  # the cache always reports how its reading ended
