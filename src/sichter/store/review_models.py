"""Users, memberships, review decisions and the audit chain (issue 6). ORM classes here subclass `sichter.store.models.Base`."""

from __future__ import annotations
