"""``moviemotion movie``: the film's own second-by-second timeline in one decode pass."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from moviemotion.progress import console


def movie_command(
    movie: Annotated[Path, typer.Argument(help="A video file (or a folder of images).")],
    outdir: Annotated[Path, typer.Option("--outdir", "-o", help="Folder for the outputs.")],
    analyzers: Annotated[str | None, typer.Option(
        "--analyzers", "-a", help="Comma-separated analyzer names: shots, motion, look, "
        "audio, faces, arousal (and any other registered one; default: every analyzer that "
        "applies). An analyzer brings those it needs (arousal: shots, motion, audio).",
        show_default=False)] = None,
    cam: Annotated[bool, typer.Option(
        "--cam", help="Also write class activation maps (PNG) of the scenes analyzer, one "
        "per shot, into OUT/cam/.")] = False,
    no_html: Annotated[bool, typer.Option("--no-html", help="Skip movie.html.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Analyze a film in one decode pass: shots, motion, look, loudness, faces, arousal.

    Writes OUT/movie.parquet and movie.csv (one row per second), shots.csv, run.json and
    movie.html. Exit codes: 0 done, 1 done but the file could not be decoded to its end
    (the outputs say where), 2 bad option or output folder, 3 unreadable video.

    Example: `moviemotion movie film.mp4 -o film-out/`

    More:

      `moviemotion movie trailer.mp4 -o out/ --analyzers shots,audio`
    """
    from rich.markup import escape

    from moviemotion.jobs.movie import run_movie

    done = run_movie(movie, outdir, analyzers=analyzers, cam=cam, progress=not quiet,
                     html=not no_html)
    r = done.run
    shots = len(done.shots) if done.shots is not None else 0
    status = "[green]done[/]" if r.complete else "[yellow]INCOMPLETE[/]"
    console.print(f"{status} {escape(str(movie))}: {r.frames} frames, {len(done.seconds)} s, "
                  f"{shots} shot(s); analyzers {', '.join(done.analyzers)}", highlight=False)
    for w in done.warnings:
        console.print(f"  warning: {w}", style="yellow", highlight=False, markup=False)
    if not r.complete:
        console.print(f"  {r.incomplete_reason}", style="yellow", highlight=False, markup=False)
    for name, path in done.written.items():
        if not name.startswith("cam/"):
            console.print(f"  wrote {path}", style="dim", highlight=False, markup=False)
    raise typer.Exit(done.exit_code)


def register(app: typer.Typer) -> None:
    app.command("movie")(movie_command)
