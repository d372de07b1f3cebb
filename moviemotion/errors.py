"""Errors that moviemotion reports to a user as one clear line (never a traceback).

Every error a user can cause (a missing file, a corrupt video, a CSV with the wrong
columns...) is raised as a :class:`MovieMotionError` subclass. The CLI catches them,
prints the message and exits with :attr:`MovieMotionError.exit_code`.
"""

from __future__ import annotations


class MovieMotionError(Exception):
    """Base class of all user-facing errors. ``exit_code`` is the CLI's exit status."""

    exit_code: int = 1

    def __init__(self, message: str, *, exit_code: int | None = None):
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else self.__class__.__name__


class InputError(MovieMotionError):
    """The input (file, folder, table, option) is missing or malformed."""

    exit_code = 2


class VideoError(InputError):
    """A video cannot be opened or decoded (missing, not a video, corrupt, no frames)."""

    exit_code = 3


class ModelError(MovieMotionError):
    """A model file is missing, corrupt or of the wrong shape."""

    exit_code = 4
