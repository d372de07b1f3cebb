"""Flashes: the photosensitivity check (:mod:`moviemotion.flash`) as a movie analyzer.

A thin adapter: the flash part's own decode-pass analyzer
(:func:`moviemotion.flash.analyzer.make_analyzer`, ``broadcast`` profile by default) takes
every frame of the shared pass; its per-frame table is reduced to seconds and its incidents
are handed on as the ``flash_incidents`` events table. Per second (the worst frame of it):

* ``flash_rate``: flashes per second over more than the profile's area (luminance or red,
  whichever is higher; more than 3 fails);
* ``flash_area``: share of the screen (or of the 10-degree field, ``wcag``) that flashes;
* ``flash_result``: 0 pass, 1 warning, 2 fail.

The verdict, which an incomplete pass can never make ``pass``, is in :meth:`summary`
(``run.json`` ``results.flashes``). ``iris-compat`` keeps IRIS's own columns: use
``moviemotion flashes --profile iris-compat`` for it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from moviemotion.content.base import ANALYZERS, MovieAnalyzer
from moviemotion.errors import InputError
from moviemotion.signals import Signals
from moviemotion.video.reader import VideoInfo
from moviemotion.video.source import FrameRequest, PassInfo


@ANALYZERS.register("flashes", help="photosensitivity check (moviemotion.flash, broadcast "
                    "profile): flash rate, flashing area, result per second; incidents")
class FlashesAnalyzer(MovieAnalyzer):
    """The flash check of :mod:`moviemotion.flash` in the movie's pass."""

    name = "flashes"
    columns = {"flash_rate": "flashes/s", "flash_area": "share",
               "flash_result": "0 pass/1 warning/2 fail"}
    defaults = {"profile": "broadcast", "pattern": False}

    def __init__(self, **settings: Any):
        super().__init__(**settings)
        if self._settings["profile"] not in ("broadcast", "wcag"):
            raise InputError(f"flashes: profile must be broadcast or wcag in a movie run, not "
                             f"{self._settings['profile']!r} (iris-compat: moviemotion flashes)")
        self._check = None

    def request(self, info: VideoInfo) -> FrameRequest:
        from moviemotion.flash.analyzer import make_analyzer

        self._check = make_analyzer(self._settings["profile"],
                                    pattern=bool(self._settings["pattern"]))
        req = self._check.request(info)
        self.push = self._check.push  # type: ignore[method-assign]  # no extra call per frame
        return req

    def push(self, t: float, frame: np.ndarray) -> None:  # replaced in request()
        raise RuntimeError("FlashesAnalyzer.push before request()")

    def finish(self, run: PassInfo) -> list[Signals]:
        frames, incidents = self._check.finish(run)[:2]
        rate = np.fmax(frames["lum_flashes"], frames["red_flashes"])
        area = np.fmax(frames["lum_flash_area"], frames["red_flash_area"])
        seconds = self.seconds_table(run, frames.time, {
            "flash_rate": rate, "flash_area": area,
            "flash_result": np.asarray(frames["result"], np.float64)}, how="max")
        events = Signals(incidents.table, "flash_incidents", "events", incidents.units)
        return [seconds, events]

    def summary(self) -> dict[str, Any]:
        r = self._check.result if self._check is not None else None
        if r is None:
            return {}
        return {"verdict": r.verdict, "profile": r.profile, "incidents": len(r.incidents)}
