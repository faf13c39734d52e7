"""Disk-image facts (issue 3). ORM classes here subclass `sichter.store.models.Base`.

No table of its own so far: whether an occurrence was carved is a column of ``occurrence``
(``carved``, migration 0002), and each image's integrity check (stored and computed media
hashes, status, acquisition header) is recorded in the ingest's case-log entry under
``details["images"]``, with a warning for a mismatch or an unreadable medium.
"""

from __future__ import annotations
