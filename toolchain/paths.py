"""Where the repository's data folders live (tinyctl is installed editable from its checkout)."""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
TARGETS_DIR = REPO_ROOT / "targets"
FIRMWARE_TEMPLATES_DIR = REPO_ROOT / "firmware_templates"
PLATFORMS_DIR = FIRMWARE_TEMPLATES_DIR / "platforms"
DEFAULT_BUILD_ROOT = Path("build")
