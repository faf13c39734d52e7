"""Fixtures for the learning tests: a store and a factory of cases."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session, sessionmaker

from sichter.settings import Settings
from sichter.store.cases import create_case
from sichter.store.crypto import load_master_key
from sichter.store.db import open_store


@pytest.fixture
def store(settings: Settings) -> sessionmaker[Session]:
    return open_store(settings.effective_database_url)


@pytest.fixture
def new_case(settings: Settings, store: sessionmaker[Session]) -> Callable[[str], int]:
    key = load_master_key(settings.home, settings.master_key)

    def make(name: str, scheme: str = "vics-us") -> int:
        return create_case(store, key, name, None, "tester", scheme).id

    return make
