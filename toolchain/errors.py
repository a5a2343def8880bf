"""The one error type the CLI turns into a single clear line (what went wrong, then how to fix it)."""


class TinyctlError(Exception):
    """A user-facing failure: `message` says what went wrong, `hint` what to do about it."""

    def __init__(self, message: str, hint: str = ""):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message
