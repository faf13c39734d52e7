"""Read-only view of AI triage results (issue 5) if its table exists in this store.

The review workspace must work before triage has run or been installed, so the table is
reflected at run time and every column it offers is optional (None when absent).
"""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import Engine, MetaData, Table, inspect
from sqlalchemy.orm import Session


@lru_cache(maxsize=16)
def _reflect(engine: Engine) -> Table | None:
    if not inspect(engine).has_table("triage"):
        return None
    return Table("triage", MetaData(), autoload_with=engine)


def triage_table(session: Session) -> Table | None:
    """The reflected ``triage`` table, or None. A store without it is cached as such until
    the process restarts, which is fine because triage is added by a migration."""
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    table = _reflect(engine)
    if table is None:
        _reflect.cache_clear()  # look again next time: a migration may have added it
    return table
