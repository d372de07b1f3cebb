"""The movie side: per-second signals of the film itself, each an analyzer of the one decode
pass (:func:`moviemotion.video.source.analyze_movie`), registered by name in
:data:`ANALYZERS` (``shots``, ``motion``, ``look``, ``audio``, ``faces``, ``arousal`` ...).

>>> from moviemotion.content import ANALYZERS, build                      # doctest: +SKIP
>>> from moviemotion.video.source import analyze_movie, open_source        # doctest: +SKIP
>>> with open_source("film.mp4") as src:                                   # doctest: +SKIP
...     result = analyze_movie(src, [a for a in build(["shots", "motion"])])

The movie job (:mod:`moviemotion.jobs.movie`) runs them, joins their per-second tables into
``movie.parquet`` and writes ``shots.csv``, ``run.json`` and ``movie.html``.
"""

from moviemotion.content.analyzers import ANALYZERS
from moviemotion.content.arousal import ArousalAnalyzer, arousal_curve
from moviemotion.content.base import (
    DerivedAnalyzer,
    MovieAnalyzer,
    build,
    default_names,
    is_derived,
    resolve,
)
from moviemotion.content.faces import FacesAnalyzer
from moviemotion.content.picture import LookAnalyzer, MotionAnalyzer, brightness, colorfulness
from moviemotion.content.scenes import SceneClassifier, ScenesAnalyzer
from moviemotion.content.shots import ShotsAnalyzer
from moviemotion.content.sound import AudioAnalyzer, NoAudioWarning

__all__ = [
    "ANALYZERS",
    "ArousalAnalyzer",
    "AudioAnalyzer",
    "DerivedAnalyzer",
    "FacesAnalyzer",
    "LookAnalyzer",
    "MotionAnalyzer",
    "MovieAnalyzer",
    "NoAudioWarning",
    "SceneClassifier",
    "ScenesAnalyzer",
    "ShotsAnalyzer",
    "arousal_curve",
    "brightness",
    "build",
    "colorfulness",
    "default_names",
    "is_derived",
    "resolve",
]
