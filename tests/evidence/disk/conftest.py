"""Fixtures for disk-image tests; the image builders live in disk_images.py."""

from __future__ import annotations

import pytest

from sichter.demo.photos import encode, sample


@pytest.fixture(scope="session")
def disk_photos() -> dict[str, bytes]:
    """Benign scikit-image photos, small enough for a few-MB image."""
    return {name: encode(sample(name).resize((160, 120)), "JPEG")
            for name in ("astronaut", "coffee", "chelsea", "rocket")}
