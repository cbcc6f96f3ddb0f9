"""Errors that reach the user as one clear line (the CLI exits with code 2 on them)."""


class UserError(ValueError):
    """Bad input from the user: a file, field, column or value. The message names it."""


class SpecError(UserError):
    """An experiment spec that does not parse or validate. ``path`` is the field path, e.g. ``tasks[1].classes``."""

    def __init__(self, path: str, message: str):
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}" if path else message)
