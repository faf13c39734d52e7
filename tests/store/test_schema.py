"""The Alembic migrations create exactly the schema the models describe, on both databases."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from sichter.store.db import alembic_config, make_engine, migrate
from sichter.store.schema import Base


def test_migrations_match_the_models(db_url: str) -> None:
    engine = make_engine(db_url)
    migrate(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == []


def test_migrating_twice_is_harmless(db_url: str) -> None:
    engine = make_engine(db_url)
    migrate(engine)
    migrate(engine)
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
        tables = set(sa.inspect(conn).get_table_names())
    engine.dispose()
    head = ScriptDirectory.from_config(alembic_config(db_url)).get_current_head()
    assert current == head
    assert set(Base.metadata.tables) <= tables
