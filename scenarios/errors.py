"""The one exception type for bad input: it carries a message written for the user."""


class InputError(Exception):
    """Bad input from a user (file, field or flag): shown as is, exit code 2."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message
