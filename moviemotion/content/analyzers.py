"""Fills :data:`~moviemotion.content.base.ANALYZERS`: importing this module registers every
built-in movie analyzer (``registry._FILLED_BY`` lists it). A new analyzer module registers
itself with ``@ANALYZERS.register(name, help=...)`` and is added to :data:`MODULES`."""

from __future__ import annotations

import importlib

from moviemotion.content.base import ANALYZERS

#: Modules that register analyzers, in the order of the registry (and of the movie table's
#: columns): pass analyzers first, derived ones (which read their results) last.
MODULES = (
    "moviemotion.content.shots",
    "moviemotion.content.picture",
    "moviemotion.content.sound",
    "moviemotion.content.faces",
    "moviemotion.content.flashes",
    "moviemotion.content.scenes",
    "moviemotion.content.arousal",
    "moviemotion.content.affect",
)
for _module in MODULES:
    importlib.import_module(_module)

__all__ = ["ANALYZERS", "MODULES"]
