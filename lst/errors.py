"""The project's error type for expected failures.

Anything a user can cause and fix (a missing or malformed file, a bad option, a model
that does not fit a format, an output path that would destroy data) is raised as
:class:`LSTError` or a subclass, with a message of one line that names the file or the
option and the problem. :func:`lst.cli.main` prints it as ``lst: error: MESSAGE`` and
exits with status 2; any other exception is a bug and keeps its traceback.
"""

from __future__ import annotations

__all__ = ["ConfigError", "LSTError", "OutputError"]


class LSTError(Exception):
    """An expected failure; the message is one line for the user."""


class ConfigError(LSTError, ValueError):
    """An option or setting is out of range or inconsistent (also a ``ValueError``)."""


class OutputError(LSTError):
    """An output path is refused because writing it could destroy data."""
