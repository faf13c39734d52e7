"""One typed settings object, built once at the edge (CLI, web app) and passed down.

Values come from, in rising precedence: defaults, `<home>/sichter.toml`, environment
variables prefixed ``SICHTER_``, and command-line options.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from sichter.classify.video_config import VideoSettings
from sichter.triage.config import TriageSettings


class Limits(BaseModel):
    """Safety limits applied to every source; hitting one records an error, never stops a batch."""

    max_member_bytes: int = Field(4 * 1024**3, description="largest archive member read")
    max_inline_bytes: int = Field(
        256 * 1024**2, description="largest archive member or nested archive held in memory"
    )
    max_expansion_ratio: float = Field(
        200.0, description="uncompressed/compressed bytes of an archive before it counts as a bomb"
    )
    expansion_floor_bytes: int = Field(
        64 * 1024**2, description="expansion below this many bytes is never called a bomb"
    )
    max_nesting_depth: int = Field(8, description="archives inside archives")
    max_members: int = Field(1_000_000, description="members of one archive")
    max_image_pixels: int = Field(200_000_000, description="pixels an image may declare")
    per_file_timeout_s: float = Field(120.0, description="wall-clock seconds for one file")
    worker_memory_bytes: int = Field(6 * 1024**3, description="address-space cap per worker")
    carve: bool = Field(False, description="disk images: also carve JPEG/PNG from unallocated "
                                           "space (ingest --carve)")


class Settings(BaseSettings):
    """Everything Sichter is configured with; recorded with every run."""

    model_config = SettingsConfigDict(env_prefix="SICHTER_", env_nested_delimiter="__")

    home: Path = Path("sichter-data")
    derived_models_dir: Path | None = Field(
        None, description="where models made on this machine from the installed ones are kept "
                          "(the int8 detector); default <home>/models. Several homes on one "
                          "machine may share one")
    database_url: str | None = None
    master_key: str | None = Field(None, description="base64 AES-256 key; else <home>/master.key")
    user: str | None = None
    workers: int = Field(default_factory=lambda: max(1, os.cpu_count() or 1))
    thumbnail_px: int = 256
    analysis_px: int = 512
    commit_every: int = 200
    skip_stages: list[str] = Field(default_factory=list, description="stages not to run")
    known_skip_stages: list[str] = Field(
        default_factory=lambda: ["ai", "video", "orb_ransac"],
        description="stages not run for content a hash set knows by MD5/SHA-1/SHA-256 "
                    "(known-good system files, already categorised material); [] runs them all")
    limits: Limits = Limits()
    triage: TriageSettings = TriageSettings()
    video: VideoSettings = VideoSettings()

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'sichter.db').resolve()}"

    @property
    def models_dir(self) -> Path:
        return models_dir(self.home, self.derived_models_dir)

    @property
    def effective_user(self) -> str:
        if self.user:
            return self.user
        import getpass

        try:
            return getpass.getuser()
        except (KeyError, OSError):
            return f"uid-{os.getuid()}"

    def recorded(self) -> dict[str, Any]:
        """What a case log records of these settings: everything but secrets."""
        data = self.model_dump(mode="json", exclude={"master_key", "database_url"})
        data["database"] = _redact_url(self.effective_database_url)
        return data


def _redact_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


SettingsT = TypeVar("SettingsT", bound=BaseSettings)


def layered(model: type[SettingsT], toml_path: Path, env_prefix: str,
            overrides: dict[str, Any]) -> SettingsT:
    """``model`` from its defaults < a TOML file < ``<env_prefix>*`` variables (nested with
    ``__``) < explicit overrides that are not None."""
    merged: dict[str, Any] = {}
    if toml_path.is_file():
        with toml_path.open("rb") as f:
            merged = tomllib.load(f)
    from_env = model()
    for name in model.model_fields:
        env_name = f"{env_prefix}{name.upper()}"
        if env_name in os.environ or any(k.startswith(env_name + "__") for k in os.environ):
            merged[name] = getattr(from_env, name)
    merged.update({k: v for k, v in overrides.items() if v is not None})
    return model.model_validate(merged)


def models_dir(home: Path, derived: Path | str | None = None) -> Path:
    """Where models made on this machine are kept (the int8 detector): the settings'
    ``derived_models_dir`` when given, else ``<home>/models``."""
    return Path(derived) if derived else home / "models"


def load_settings(home: Path | None = None, **overrides: Any) -> Settings:
    """Build the settings: defaults < <home>/sichter.toml < SICHTER_* env < explicit overrides."""
    env_home = os.environ.get("SICHTER_HOME")
    resolved_home = home or (Path(env_home) if env_home else Path("sichter-data"))
    return layered(Settings, resolved_home / "sichter.toml", "SICHTER_",
                   {**overrides, "home": resolved_home})
