"""``moviemotion report``: one screening report; ``moviemotion compare``: two screenings."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from moviemotion.progress import console


def report_command(
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder for screening.html "
                                         "and its tables.")],
    audience: Annotated[Path, typer.Option("--audience", "-a", help="The audience job's output "
                                           "folder (timeline.parquet, viewers.parquet, peaks.csv).")],
    movie: Annotated[Path | None, typer.Option("--movie", "-m", help="A movie analysis folder "
                                               "(moviemotion movie -o): shots and signals.")] = None,
    flashes: Annotated[Path | None, typer.Option("--flashes", "-f", help="A flash check folder "
                                                 "or its JSON summary (moviemotion flashes --json).")
                       ] = None,
    subtitles: Annotated[Path | None, typer.Option("--subtitles", "-s", help="Subtitles: SRT, "
                                                   "WebVTT or ASS/SSA.")] = None,
    screenplay: Annotated[Path | None, typer.Option("--screenplay", help="A Fountain screenplay "
                                                    "(aligned to the subtitles).")] = None,
    scenes: Annotated[Path | None, typer.Option("--scenes", help="A scenes CSV: start,end,title "
                                                "(seconds or m:ss), instead of a screenplay.")
                      ] = None,
    subtitle_offset: Annotated[float, typer.Option("--subtitle-offset", help="Seconds added to "
                                                   "every subtitle time.")] = 0.0,
    subtitle_speed: Annotated[str, typer.Option("--subtitle-speed", help="Frame-rate ratio: "
                                                "movie time = file time x speed + offset, e.g. "
                                                "25/23.976.")] = "1",
    lag: Annotated[float, typer.Option("--lag", help="Seconds the audience's reaction trails "
                                       "the words and pictures.")] = 1.0,
    smooth: Annotated[int | None, typer.Option("--smooth", help="Arc smoothing window in seconds "
                                               "(default 2% of the film, at least 3).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Join one screening into screening.html (offline) plus lines, scenes, arc tables.

    Example:

      `moviemotion report -o out/report --audience out/audience --subtitles film.srt
      --screenplay film.fountain --movie out/movie --flashes out/flashes`
    """
    from moviemotion.jobs.screening import run_report

    paths = run_report(output, audience, movie=movie, flashes=flashes, subtitles=subtitles,
                       screenplay=screenplay, scenes=scenes, subtitle_offset=subtitle_offset,
                       subtitle_speed=subtitle_speed, lag=lag, smooth=smooth, quiet=quiet)
    console.print(f"wrote {len(paths)} files; open [bold]{paths['screening.html']}[/]")


def compare_command(
    run_a: Annotated[Path, typer.Argument(help="Audience output folder of screening A.")],
    run_b: Annotated[Path, typer.Argument(help="Audience output folder of screening B.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder for the comparison.")],
    scenes: Annotated[Path | None, typer.Option("--scenes", help="Scenes CSV (start,end,title) "
                                                "or a report's scenes.parquet; default: windows.")
                      ] = None,
    window: Annotated[float, typer.Option("--window", help="Window length (s) without "
                                          "--scenes.")] = 60.0,
    boot: Annotated[int, typer.Option("--boot", help="Bootstrap draws over viewers.")] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed of the bootstrap.")] = 0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Differences B - A per second and per scene, with 95% bootstrap intervals over viewers.

    Example:

      `moviemotion compare out/monday out/tuesday -o out/compare --scenes out/report/scenes.csv`
    """
    from moviemotion.jobs.screening import run_compare

    paths = run_compare(output, run_a, run_b, scenes=scenes, window=window, n_boot=boot,
                        seed=seed, quiet=quiet)
    console.print(f"wrote {', '.join(str(p) for p in paths.values())}")


def register(app: typer.Typer) -> None:
    app.command("report")(report_command)
    app.command("compare")(compare_command)
