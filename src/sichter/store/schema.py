"""The whole schema: importing this module registers every table on ``Base.metadata``."""

from sichter.store import (  # noqa: F401 - imported for their table definitions
    ai_models,
    disk_models,
    hashset_models,
    learning_models,
    review_models,
)
from sichter.store.models import Base

__all__ = ["Base"]
