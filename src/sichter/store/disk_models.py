"""Disk-image facts (issue 3). ORM classes here subclass `sichter.store.models.Base`."""

from __future__ import annotations
