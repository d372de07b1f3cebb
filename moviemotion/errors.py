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


class OutputError(MovieMotionError):
    """An output cannot be written (read-only folder, disk full, the path is a file or a
    folder of the wrong kind, the output folder is locked by another job)."""

    exit_code = 5


#: Exit codes of the command line (documented in README.md).
EXIT_CODES = {
    0: "success (flashes: pass)",
    1: "flashes: warning; audience: some recordings failed",
    2: "bad input (a file, a table, an option); flashes: fail",
    3: "unreadable video",
    4: "bad model file",
    5: "an output could not be written",
    130: "interrupted (Ctrl-C / SIGTERM)",
}
