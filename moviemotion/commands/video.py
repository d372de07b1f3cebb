"""Commands about video files: ``moviemotion info`` and ``moviemotion sample``."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from moviemotion.progress import console


def info_command(
    video: Annotated[Path, typer.Argument(help="A video file or a folder of images.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Show a video's metadata (duration, fps, size, rotation, pixel format, colour range).

    Example: `moviemotion info movie.mp4 --json`
    """
    from rich.table import Table

    from moviemotion.video import open_source

    with open_source(video) as src:
        d = src.info.as_dict()
    if as_json:
        from moviemotion.io.atomic import _json_safe

        typer.echo(json.dumps(_json_safe(d), indent=2, allow_nan=False))
        return
    table = Table(title=str(video), show_header=False)
    for k, v in d.items():
        table.add_row(k, f"{v:.3f}" if isinstance(v, float) else str(v))
    console.print(table)


class SampleKind(StrEnum):
    flashes = "flashes"
    shapes = "shapes"
    cuts = "cuts"
    checkerboard = "checkerboard"
    screening = "screening"


def sample_command(
    kind: Annotated[SampleKind, typer.Argument(help="What to render.")],
    output: Annotated[Path, typer.Argument(help="Output .mp4 file (screening: a folder).")],
    duration: Annotated[float | None, typer.Option(help="Seconds (default 5; screening 24).")] = None,
    fps: Annotated[float, typer.Option(help="Frames per second.")] = 25.0,
    width: Annotated[int, typer.Option(help="Width in pixels (even).")] = 640,
    height: Annotated[int, typer.Option(help="Height in pixels (even).")] = 360,
    hz: Annotated[float, typer.Option(help="Flashes per second (flashes, checkerboard).")] = 5.0,
    area: Annotated[float, typer.Option(help="Share of the screen that flashes (0-1).")] = 1.0,
    red: Annotated[bool, typer.Option(help="Saturated red flashes instead of white.")] = False,
    seed: Annotated[int, typer.Option(help="Random seed (shapes, cuts).")] = 0,
    seats: Annotated[int, typer.Option(help="Seat recordings (screening).")] = 4,
) -> None:
    """Render a test video with known content (H.264 MP4).

    Examples:

      `moviemotion sample flashes flash.mp4 --hz 5 --area 0.3`

      `moviemotion sample cuts cuts.mp4 --duration 10`

      `moviemotion sample screening demo/screening` (movie.mp4, seats/seatNN.mp4 at 640x480
      10 fps with synthetic faces, manifest.csv)
    """
    from moviemotion.samples import clips as synth

    _check_sample_options(kind, output, duration, fps, width, height, hz, area, seats)
    if kind is SampleKind.screening:
        from moviemotion.samples.screening import make_screening

        made = make_screening(output, seats=seats, duration=duration or 24.0)
        console.print(f"wrote {made['movie']}, {len(made['seats'])} seat recordings in "
                      f"{output / 'seats'} and {made['manifest']}")
        return
    duration = duration or 5.0

    size = (width, height)
    if kind is SampleKind.flashes:
        r = synth.flashing(size, hz, on=synth.RED if red else synth.WHITE, area=area)
    elif kind is SampleKind.checkerboard:
        r = synth.reversing_checkerboard(size, max(2, height // 9), hz)
    elif kind is SampleKind.cuts:
        r = synth.scene_cuts(size, [duration * k / 4 for k in (1, 2, 3)], seed=seed)
    else:
        r = synth.moving_shapes(size, seed=seed)
    synth.write_video(output, synth.render(r, fps, duration), fps=fps)
    console.print(f"wrote {output} ({duration:g} s, {width}x{height}, {fps:g} fps)")



def _check_sample_options(kind, output: Path, duration, fps, width, height, hz, area,
                          seats) -> None:
    """Every number checked before any work: one line naming the option."""
    import math

    from moviemotion.errors import InputError

    def bad(name: str, value, why: str) -> None:
        raise InputError(f"--{name} {value}: {why}")

    if duration is not None and not (math.isfinite(duration) and duration > 0):
        bad("duration", duration, "must be a positive number of seconds")
    if duration is not None and duration > 24 * 3600:
        bad("duration", duration, "at most 24 h")
    if not (math.isfinite(fps) and 0 < fps <= 1000):
        bad("fps", fps, "must be between 0 and 1000 (exclusive of 0)")
    for name, v in (("width", width), ("height", height)):
        if not 16 <= v <= 7680:
            bad(name, v, "must be between 16 and 7680 pixels")
        if v % 2:
            bad(name, v, "must be even (H.264 with 4:2:0 chroma)")
    if not (math.isfinite(hz) and 0 < hz <= fps / 2):
        bad("hz", hz, f"must be above 0 and at most half the frame rate ({fps / 2:g})")
    if not (math.isfinite(area) and 0 < area <= 1):
        bad("area", area, "must be a share of the screen in (0, 1]")
    if kind is SampleKind.screening:
        if not 1 <= seats <= 64:
            bad("seats", seats, "must be between 1 and 64")
        if output.exists() and not output.is_dir():
            raise InputError(f"{output}: is a file; a screening is written into a folder")
    elif output.is_dir():
        raise InputError(f"{output}: is a folder; give the .mp4 file to write")


def register(app: typer.Typer) -> None:
    app.command("info")(info_command)
    app.command("sample")(sample_command)
