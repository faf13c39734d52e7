"""Benign demonstration and test evidence, generated on the fly. Never real case material."""

from sichter.demo.build import generate

__all__ = ["generate"]
