"""The one exception type the CLI and API turn into a one-line message."""


class QAError(Exception):
    """Bad input, a missing or corrupt index, or anything else a user can fix; the message says how."""
