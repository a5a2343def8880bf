"""The platform.toml of each firmware platform (firmware_templates/platforms/<name>/): read by the
firmware project, the clock plans and the board schema alike."""

from __future__ import annotations

import tomllib

from .paths import PLATFORMS_DIR


def read_platform(name: str) -> dict | None:
    """The platform's platform.toml, None when `name` is no platform folder."""
    path = PLATFORMS_DIR / name / "platform.toml"
    return tomllib.loads(path.read_text()) if path.is_file() else None
