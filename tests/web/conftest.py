"""Fixtures for the review workspace: a store with a case and contents, no evidence needed."""

from __future__ import annotations

import pytest
from web_support import Store, add_contents

from sichter.settings import Settings
from sichter.store.cases import create_case
from sichter.store.crypto import load_master_key
from sichter.store.db import open_store


@pytest.fixture
def store(settings: Settings) -> Store:
    sessions = open_store(settings.effective_database_url)
    info = create_case(sessions, load_master_key(settings.home, settings.master_key), "c1", None,
                       "tester")
    ids = add_contents(sessions, info.id, ["a" * 64, "a" * 64, "b" * 64, None])
    return Store(settings, sessions, ids)
