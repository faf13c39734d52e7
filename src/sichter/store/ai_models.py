"""Model registry, scores, faces and embeddings (issue 5). ORM classes here subclass `sichter.store.models.Base`."""

from __future__ import annotations
