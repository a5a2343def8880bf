"""The one error type the CLI turns into a single clear line (what went wrong, then how to fix it)."""

from tinyctl.models.errors import ModelsError


class TinyctlError(ModelsError):
    """A user-facing failure of the toolchain: `message` says what went wrong, `hint` what to do about it.

    It extends the training stack's error (models/ cannot import tinyctl), so one `except ModelsError` catches
    the failures of both with the same message and hint."""
