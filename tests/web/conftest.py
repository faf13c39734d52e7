"""Fixtures for the review workspace: a store with cases, contents and users; an app client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from web_support import PASSWORD, Store, Web, add_contents

from sichter.settings import Settings
from sichter.store.cases import create_case
from sichter.store.crypto import load_master_key
from sichter.store.db import open_store
from sichter.web.services import accounts


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id with small cost parameters, so the suite is fast; production keeps the defaults."""
    from argon2 import PasswordHasher

    monkeypatch.setattr(accounts, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def store(settings: Settings) -> Store:
    sessions = open_store(settings.effective_database_url)
    info = create_case(sessions, load_master_key(settings.home, settings.master_key), "c1", None,
                       "tester")
    ids = add_contents(sessions, info.id, ["a" * 64, "a" * 64, "b" * 64, None])
    return Store(settings, sessions, ids)


@pytest.fixture
def web(store: Store) -> Iterator[Web]:
    """Case c1 (rev1 and rev2 are members) and case c2 (only outsider is a member)."""
    key = load_master_key(store.settings.home, store.settings.master_key)
    other = create_case(store.sessions, key, "c2", None, "tester", scheme="de")
    other_ids = add_contents(store.sessions, other.id, ["c" * 64])
    with store.sessions.begin() as s:
        for name in ("rev1", "rev2", "outsider"):
            accounts.add_user(s, name, "reviewer", PASSWORD)
        accounts.add_member(s, "c1", "rev1", "admin")
        accounts.add_member(s, "c1", "rev2", "admin")
        accounts.add_member(s, "c2", "outsider", "admin")
    yield Web(store, other_ids)
