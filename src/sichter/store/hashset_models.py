"""Hash sets, their entries and matches (issue 4). ORM classes here subclass `sichter.store.models.Base`."""

from __future__ import annotations
