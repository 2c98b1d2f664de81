"""The one base class of errors a user can act on (bad config or data, a backend that cannot run here, a cap).

The CLI prints such an error as one line, with no traceback, and exits with code 2. This module imports
nothing, so catching it costs a stage no dependency."""


class UserError(Exception):
    """An error whose message says what to change; raised by stages, caught by the CLI."""
