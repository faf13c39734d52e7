"""The registry of model files: name, version, SHA-256 and settings of every model Sichter
runs, so that each score names the model version that produced it.

A version is ``<package>-<package version>/<file>`` plus the first 12 hex digits of the
file's SHA-256, so that a replaced file under the same package version is a new version.
"""

from __future__ import annotations

import hashlib
import importlib.util
from dataclasses import dataclass, field
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

from sichter.errors import SichterError


class ModelUnavailable(SichterError):
    """A model file is missing or cannot be loaded (broken installation or plug-in)."""


@dataclass(frozen=True)
class ModelInfo:
    """What identifies one model: recorded with every score it produces."""

    name: str
    version: str
    sha256: str
    path: str
    settings: dict[str, Any] = field(default_factory=dict)

    def record(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "sha256": self.sha256,
                "settings": self.settings}


@cache
def file_sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def packaged_file(package: str, *parts: str) -> Path:
    """The path of a file shipped inside an installed package (no downloads, ever)."""
    # find_spec locates the package without importing it (face_recognition_models imports
    # pkg_resources, which newer setuptools no longer ship).
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailable(f"package {package} is not installed")
    path = Path(list(spec.submodule_search_locations)[0]).joinpath(*parts)
    if not path.is_file():
        raise ModelUnavailable(f"model file {'/'.join(parts)} missing from package {package}")
    return path


def model_info(name: str, distribution: str, path: Path, settings: dict[str, Any]) -> ModelInfo:
    sha = file_sha256(str(path))
    try:
        dist_version = metadata.version(distribution)
    except metadata.PackageNotFoundError:
        dist_version = "unknown"
    version = f"{distribution}-{dist_version}/{path.name}#{sha[:12]}"
    return ModelInfo(name, version, sha, str(path), settings)


def builtin_models() -> dict[str, ModelInfo]:
    """Every bundled model, without loading any (only hashing their files)."""
    from sichter.classify import faces, nudenet_onnx

    infos = [nudenet_onnx.info(), *faces.infos()]
    return {i.name: i for i in infos}
