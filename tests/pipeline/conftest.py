from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from sichter.settings import Settings
from sichter.store import cases
from sichter.store.crypto import load_master_key
from sichter.store.db import open_store


@pytest.fixture
def store(settings: Settings) -> sessionmaker[Session]:
    sessions = open_store(settings.effective_database_url)
    cases.create_case(sessions, load_master_key(settings.home, settings.master_key), "c1", "test",
                      "tester")
    return sessions


@pytest.fixture
def copy_of_demo(tmp_path: Path, demo_evidence: Path) -> Path:
    import shutil

    target = tmp_path / "evidence"
    shutil.copytree(demo_evidence, target)
    return target
