"""Settings of the web workspace, built once at the edge (``sichter serve``) and passed to the app.

Values: defaults < ``<home>/web.toml`` < ``SICHTER_WEB_*`` environment < explicit overrides.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from sichter.settings import layered


class WebConfig(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SICHTER_WEB_")

    secret_key: str | None = Field(None, description="signs session cookies; else <home>/web.secret")
    idle_minutes: float = Field(30.0, description="log out after this long without a request")
    secure_cookie: bool = Field(True, description="send the session cookie over HTTPS only "
                                "(browsers accept it on http://127.0.0.1 / localhost)")
    default_lang: str = Field("de", description="de or en")
    page_size: int = 60
    login_max_failures: int = Field(5, ge=0, description="wrong passwords for one name before "
                                    "its logins pause (0: never)")
    login_pause_minutes: float = Field(15.0, gt=0, description="the window those failures count "
                                       "in, and the pause")
    active_learning_every: int = Field(25, ge=1, description="re-rank the unreviewed queue in the "
                                       "background after this many new decisions in a case")


def load_web_config(home: Path, **overrides: Any) -> WebConfig:
    return layered(WebConfig, home / "web.toml", "SICHTER_WEB_", overrides)


def secret_key(home: Path, config: WebConfig) -> bytes:
    """The configured cookie-signing key, else one generated once into the home (mode 0600)."""
    if config.secret_key:
        return config.secret_key.encode()
    path = home / "web.secret"
    if path.exists():
        return path.read_bytes().strip()
    home.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48).encode()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as f:
        f.write(key + b"\n")
    return key
