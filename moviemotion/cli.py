"""The ``moviemotion`` command line: a thin layer over the library.

Each part registers its commands here; user errors print one line and exit non-zero.
"""

from __future__ import annotations

import logging
import sys
import warnings
from typing import Annotated

import typer

from moviemotion import __version__
from moviemotion.errors import MovieMotionError
from moviemotion.progress import say

app = typer.Typer(
    name="moviemotion",
    help=(
        "Turn a movie and its audience's recordings into a second-by-second timeline of feels.\n\n"
        "Example:\n\n"
        "  moviemotion sample screening demo/ && moviemotion audience demo/seats -o out/"
    ),
    no_args_is_help=True,
    rich_markup_mode="markdown",
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"moviemotion {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log details.")] = False,
) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")


# Each part's commands live in moviemotion/commands/<part>.py and expose ``register(app)``.
_COMMAND_MODULES = [
    "moviemotion.commands.video",
    "moviemotion.commands.flash",
    "moviemotion.commands.emotion",
    "moviemotion.commands.audience",
    "moviemotion.commands.movie",
    "moviemotion.commands.scenes",
    "moviemotion.commands.script",
    "moviemotion.commands.posters",
    "moviemotion.commands.faceid",
]


def _register_commands() -> None:
    import importlib

    for name in _COMMAND_MODULES:
        importlib.import_module(name).register(app)


_register_commands()


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app, turning user errors into one clear line and an exit code
    (see :data:`moviemotion.errors.EXIT_CODES`)."""
    warnings.simplefilter("default")
    warnings.showwarning = _show_warning
    try:
        _command()(args=argv, prog_name="moviemotion")
    except MovieMotionError as exc:
        say("error", exc.message)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        say("error", "interrupted")
        sys.exit(130)
    except OSError as exc:  # a file the command could not read or write, not caught deeper
        where = f"{exc.filename}: " if exc.filename else ""
        say("error", f"{where}{exc.strerror or exc}")
        sys.exit(5)


def _command():
    """The Click command of the app, with Typer's "path is readable" pre-check turned off on
    every path argument: an unreadable input is then reported by the part that reads it (one
    ``error:`` line and its own exit code, e.g. 3 for a video) instead of a usage box."""
    root = typer.main.get_command(app)

    def walk(cmd) -> None:
        for p in cmd.params:
            described = getattr(p, "type_descriptor", None)  # Typer >= 0.2x: its own path type
            info = getattr(described, "parameter_info", None)
            if info is not None and hasattr(info, "readable"):  # paths, and lists of paths
                info.readable = False
            elif hasattr(getattr(p, "type", None), "readable"):  # Click's Path (older Typer)
                p.type.readable = False
        for sub in getattr(cmd, "commands", {}).values():
            walk(sub)

    walk(root)
    return root


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings as one ``warning:`` line (no source line, no wrapping)."""
    if issubclass(category, DeprecationWarning | PendingDeprecationWarning | FutureWarning):
        return
    say("warning", str(message))


if __name__ == "__main__":
    main()
