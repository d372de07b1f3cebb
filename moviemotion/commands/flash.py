"""``moviemotion flashes``: check a video for photosensitive-epilepsy flash hazards."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from moviemotion.flash.profiles import PROFILES
from moviemotion.progress import console

#: The --profile choices, from the flash profile registry.
ProfileName = PROFILES.choices()


def flashes_command(
    video: Annotated[Path, typer.Argument(help="A video file or a folder of images.")],
    profile: Annotated[ProfileName, typer.Option(
        "--profile", "-p", help="broadcast (Ofcom / ITU-R BT.1702, 25% of the screen), wcag "
        "(25% of any 10-degree field) or iris-compat (EA IRIS's whole-frame method).")
    ] = ProfileName("broadcast"),
    outdir: Annotated[Path, typer.Option("--outdir", "-o", help="Folder for the outputs.")] = Path("."),
    csv: Annotated[bool, typer.Option("--csv", help="Write the per-frame CSV.")] = False,
    json: Annotated[bool, typer.Option("--json", help="Write the JSON summary.")] = False,
    html: Annotated[bool, typer.Option("--html", help="Write the HTML report.")] = False,
    pattern: Annotated[bool, typer.Option(
        "--pattern", help="Also check for regular striped patterns (broadcast/wcag).")] = False,
    extended: Annotated[bool | None, typer.Option(
        "--extended/--no-extended", help="Extended-failure rule (2-3 flashes/s for 4 of 5 s); "
        "default: on only in iris-compat.")] = None,
    exact: Annotated[bool, typer.Option(
        "--exact", help="Linearize every pixel before averaging (slower; default: a "
        "raster of 4 x 4 px per cell, see docs/flash.md).")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Check a video for flashes and red flashes that can trigger photosensitive epilepsy.

    Writes `<video>.flash-<profile>.csv/.json/.html` (all three unless some of --csv, --json,
    --html are given) and exits with 0 pass, 1 warning, 2 fail, 3 unreadable video.

    Example: `moviemotion flashes trailer.mp4 --profile broadcast -o checks/`

    More:

      `moviemotion flashes ad.mp4 --profile wcag --html --pattern`

      `moviemotion flashes level.mp4 --profile iris-compat --csv -o iris/`
    """
    from moviemotion.errors import InputError
    from moviemotion.jobs.flash import OUTPUTS, run_flash_job

    if profile.value == "iris-compat" and (pattern or exact or extended is not None):
        raise InputError("--pattern, --exact and --extended apply to the broadcast and wcag "
                         "profiles (iris-compat reproduces IRIS's own rules)")
    chosen = tuple(k for k, on in zip(OUTPUTS, (csv, json, html), strict=True) if on)
    job = run_flash_job(video, outdir, profile=profile.value, outputs=chosen or OUTPUTS,
                        pattern=pattern, extended=extended, exact=exact, progress=not quiet)
    result, written = job.result, job.written
    style = {"pass": "green", "warning": "yellow", "fail": "bold red"}[result.verdict]
    console.print(f"[{style}]{result.verdict.upper()}[/] {video} "
                  f"(profile {result.profile}, {result.n_frames} frames, "
                  f"{len(result.incidents)} incident(s))", highlight=False)
    for inc in result.incidents:
        where = "" if inc.bbox is None else f" at x{inc.bbox[0]} y{inc.bbox[1]} " \
                                            f"{inc.bbox[2]}x{inc.bbox[3]} px"
        console.print(f"  {inc.severity:7s} {inc.type:15s} {inc.start:8.3f}-{inc.end:8.3f} s  "
                      f"{inc.peak_flashes_per_second:g} flashes/s, area {inc.peak_area:.0%}"
                      f"{where}", highlight=False)
    for kind, path in written.items():
        console.print(f"  wrote {kind}: {path}", style="dim", highlight=False)
    raise typer.Exit(result.exit_code)


def register(app: typer.Typer) -> None:
    app.command("flashes")(flashes_command)
