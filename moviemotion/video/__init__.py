"""Video input: a streaming reader on PyAV, image folders as frame sources, and test media.

>>> from moviemotion.video import open_source
>>> with open_source("movie.mp4") as src:          # doctest: +SKIP
...     for t, luma in src.frames(fps=2, mode="gray"):
...         pass
"""

from __future__ import annotations

from moviemotion.video.images import ImageFolderSource
from moviemotion.video.reader import (
    DecodeStatus,
    FrameMode,
    TruncatedVideoWarning,
    VideoInfo,
    VideoReader,
    open_video,
    probe,
)
from moviemotion.video.source import (
    Analyzer,
    FrameRequest,
    FrameSource,
    PassInfo,
    PassResult,
    analyze_movie,
    open_source,
)

__all__ = [
    "Analyzer",
    "DecodeStatus",
    "FrameRequest",
    "PassInfo",
    "PassResult",
    "analyze_movie",
    "FrameMode",
    "FrameSource",
    "ImageFolderSource",
    "TruncatedVideoWarning",
    "VideoInfo",
    "VideoReader",
    "open_source",
    "open_video",
    "probe",
]
