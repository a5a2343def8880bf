"""The training stack's user-facing error: what went wrong, then how to fix it.

models/ does not import tinyctl, so it has its own type; toolchain's TinyctlError extends it, and the CLI
turns either into the same one-line message."""


class ModelsError(Exception):
    """A user-facing failure: `message` says what went wrong, `hint` what to do about it."""

    def __init__(self, message: str, hint: str = ""):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message
