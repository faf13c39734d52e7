"""Shared fixtures. All evidence is benign and generated on the fly."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from sichter.settings import Settings, load_settings

# Byte strings that every plaintext JPEG or PNG Sichter writes contains (JFIF header, the first
# quantisation table's header, PNG's signature), long enough that sealed (random-looking) data
# holds one by chance with negligible odds; a 3-byte JPEG start occurs in ~6 % of 1 MB of it.
PLAINTEXT_IMAGE_SIGNS = (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", b"\xff\xdb\x00\x43\x00",
                         b"\x89PNG\r\n\x1a\n")


@pytest.fixture(scope="session")
def plaintext_image_in() -> Callable[[bytes], bytes | None]:
    """The plaintext-image sign found in some bytes, or None."""
    def found(data: bytes) -> bytes | None:
        return next((sign for sign in PLAINTEXT_IMAGE_SIGNS if sign in data), None)
    return found


@pytest.fixture(scope="session", autouse=True)
def derived_models_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One folder for models made on this machine (the int8 detector, 3 s to make) shared by
    every test's home and CLI subprocess, as an installation shares one across its homes."""
    path = tmp_path_factory.mktemp("derived-models")
    before = os.environ.get("SICHTER_DERIVED_MODELS_DIR")
    os.environ["SICHTER_DERIVED_MODELS_DIR"] = str(path)
    yield path
    if before is None:
        os.environ.pop("SICHTER_DERIVED_MODELS_DIR", None)
    else:
        os.environ["SICHTER_DERIVED_MODELS_DIR"] = before


PG_ADMIN_URL = os.environ.get("SICHTER_TEST_PG_URL",
                              "postgresql+psycopg://postgres@localhost:5432/test")


def _pg_database() -> Iterator[str]:
    """A fresh, uniquely named PostgreSQL database, dropped afterwards."""
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"sichter_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - any connection failure means "no server"
        admin.dispose()
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL at {PG_ADMIN_URL} is required in CI: {exc}")
        pytest.skip(f"PostgreSQL not reachable: {exc}")
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        from sichter.store.db import open_store

        open_store.cache_clear()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The case store URL, once on embedded SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
    else:
        yield from _pg_database()


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


@pytest.fixture
def settings(home: Path, db_url: str) -> Settings:
    return load_settings(home, database_url=db_url, workers=2, user="tester")


@pytest.fixture
def sqlite_settings(home: Path) -> Settings:
    """Settings on SQLite only, for tests about evidence rather than the store."""
    return load_settings(home, workers=2, user="tester")


@pytest.fixture(scope="session")
def demo_evidence(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from sichter.demo import generate

    root = tmp_path_factory.mktemp("demo") / "evidence"
    generate(root)
    return root
