"""Trained models, QA samples and active-learning state (issue 7). ORM classes here subclass `sichter.store.models.Base`."""

from __future__ import annotations
